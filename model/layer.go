//go:build cgo

package model

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// Functions here take the caller's scope s and add only their result to it; their
// intermediates live in a scope of their own, freed on return.

// layerForward runs layer i on x (B, T, H) and returns a new (B, T, H) tensor tracked by s;
// x is left alone. mask is the additive (B, 1, 1, P+T) mask or nil.
func (e *Encoder) layerForward(s *hscope, i int, x, mask raw, terms positionTerms, bsz, seq, plen int64, train bool) (raw, error) {
	var t hscope
	defer t.free()
	a, err := e.attention(&t, i, x, mask, terms, bsz, seq, plen, train)
	if err != nil {
		return nil, fmt.Errorf("attention: %w", err)
	}
	out, err := e.feedForward(&t, i, a, train)
	if err != nil {
		return nil, fmt.Errorf("feed-forward: %w", err)
	}
	s.held = append(s.held, t.keep(out))
	return out, nil
}

// attention is the self-attention block: LayerNorm(x + dropout(dense(softmax(QKᵀ/√d + mask)·V))),
// with attention-prob dropout, and prefix keys/values concatenated in front of K and V. terms,
// when set, are the architecture's position terms (rotations of Q, K, V before the prefix
// joins; additions to QKᵀ and to the context).
func (e *Encoder) attention(s *hscope, i int, x, mask raw, terms positionTerms, bsz, seq, plen int64, train bool) (raw, error) {
	l := &e.layers[i]
	c := e.Cfg
	nh, d := c.NumAttentionHeads, c.HeadDim()
	var t hscope
	defer t.free()

	// (B, T, H) → (B, heads, T, d)
	heads := func(site Site, lin linear) (raw, error) {
		y, err := e.hookedLinear(&t, i, site, lin, x, x, train)
		if err != nil {
			return nil, err
		}
		v, err := t.view(y, []int64{bsz, seq, nh, d})
		if err != nil {
			return nil, err
		}
		return t.permute(v, []int64{0, 2, 1, 3})
	}
	q, err := heads(SiteQuery, l.query)
	if err != nil {
		return nil, err
	}
	k, err := heads(SiteKey, l.key)
	if err != nil {
		return nil, err
	}
	v, err := heads(SiteValue, l.value)
	if err != nil {
		return nil, err
	}
	if terms != nil {
		if q, k, v, err = terms.rotate(&t, q, k, v); err != nil {
			return nil, err
		}
	}
	if e.hooks.kvPrefix != nil && plen > 0 {
		if k, v, err = e.withPrefix(&t, i, k, v, bsz, plen, train); err != nil {
			return nil, err
		}
	}
	// Scaling q by 1/√d before the product, instead of the (T × keys) scores after it, touches
	// T·d elements instead of T·(P+T), forward and backward. It is exact when √d is a power of
	// two (d = 64 in BERT-base: q/8): then every product, sum and gradient is the same number
	// scaled by 2⁻ᵏ, bit for bit. Other head sizes (the built-in backbone's 32) keep
	// transformers' order, scores/√d, so their results do not move.
	scaleQ := exactRootScale(d)
	if scaleQ != 0 {
		if q, err = t.scalarOp(scaleQ, func(out *libtch.Ctensor, sc libtch.Cscalar) {
			libtch.AtgMulScalar(out, q, sc)
		}); err != nil {
			return nil, err
		}
	}
	kt, err := t.op(func(out *libtch.Ctensor) { libtch.AtgTranspose(out, k, -1, -2) })
	if err != nil {
		return nil, err
	}
	scores, err := e.matmul(&t, q, kt) // (B, heads, T, P+T)
	if err != nil {
		return nil, err
	}
	if terms != nil {
		extra, err := terms.scoreTerm(&t, q)
		if err != nil {
			return nil, err
		}
		if extra != nil {
			if scores, err = t.add(scores, extra); err != nil {
				return nil, err
			}
		}
	}
	if scaleQ == 0 {
		scores, err = t.scalarOp(math.Sqrt(float64(d)), func(out *libtch.Ctensor, sc libtch.Cscalar) {
			libtch.AtgDivScalar(out, scores, sc)
		})
		if err != nil {
			return nil, err
		}
	}
	if mask != nil {
		if scores, err = t.add(scores, mask); err != nil {
			return nil, err
		}
	}
	dtype := int32(libtch.AtScalarType(scores))
	probs, err := t.op(func(out *libtch.Ctensor) { libtch.AtgSoftmax(out, scores, -1, dtype) })
	if err != nil {
		return nil, err
	}
	if probs, err = t.dropout(probs, c.AttentionProbsDropoutProb, train); err != nil {
		return nil, err
	}
	ctx, err := e.matmul(&t, probs, v) // (B, heads, T, d)
	if err != nil {
		return nil, err
	}
	if terms != nil {
		extra, err := terms.contextTerm(&t, probs)
		if err != nil {
			return nil, err
		}
		if extra != nil {
			if ctx, err = t.add(ctx, extra); err != nil {
				return nil, err
			}
		}
	}
	if ctx, err = t.permute(ctx, []int64{0, 2, 1, 3}); err != nil {
		return nil, err
	}
	if ctx, err = t.reshape(ctx, []int64{bsz, seq, c.HiddenSize}); err != nil {
		return nil, err
	}
	o, err := e.hookedLinear(&t, i, SiteAttnOut, l.attnOut, ctx, x, train)
	if err != nil {
		return nil, err
	}
	return e.residual(s, &t, i, BlockAttention, l.attnLN, o, x, train)
}

// withPrefix fetches layer i's prefix and puts it in front of k and v (B, heads, T, d), giving
// (B, heads, P+T, d) tracked by t. The hook's tensors are dropped after use.
func (e *Encoder) withPrefix(t *hscope, i int, k, v raw, bsz, plen int64, train bool) (raw, raw, error) {
	pk, pv, err := e.hooks.kvPrefix.KV(i, bsz, train)
	defer tsx.Drop(pk, pv)
	if err != nil {
		return nil, nil, fmt.Errorf("prefix: %w", err)
	}
	want := []int64{bsz, e.Cfg.NumAttentionHeads, plen, e.Cfg.HeadDim()}
	for _, p := range []struct {
		name string
		x    *ts.Tensor
	}{{"keys", pk}, {"values", pv}} {
		if p.x == nil {
			return nil, nil, fmt.Errorf("prefix %s are nil", p.name)
		}
		got, err := p.x.Size()
		if err != nil {
			return nil, nil, fmt.Errorf("prefix %s: %w", p.name, torchErr(err))
		}
		if !sameShape(got, want) {
			return nil, nil, fmt.Errorf("prefix %s have shape %v, want %v", p.name, got, want)
		}
	}
	k, err = t.cat([]raw{handle(pk), k}, 2)
	if err != nil {
		return nil, nil, err
	}
	v, err = t.cat([]raw{handle(pv), v}, 2)
	if err != nil {
		return nil, nil, err
	}
	return k, v, nil
}

// feedForward is LayerNorm(a + dropout(dense₂(act(dense₁(a))))), tracked by s, with the
// hooks of its maps, activation and output.
func (e *Encoder) feedForward(s *hscope, i int, a raw, train bool) (raw, error) {
	l := &e.layers[i]
	var t hscope
	defer t.free()
	h, err := e.hookedLinear(&t, i, SiteFFNIn, l.inter, a, a, train)
	if err != nil {
		return nil, err
	}
	if h, err = e.act(&t, h); err != nil {
		return nil, err
	}
	if h, err = e.scaledActivation(&t, i, h); err != nil {
		return nil, err
	}
	o, err := e.hookedLinear(&t, i, SiteFFNOut, l.out, h, a, train)
	if err != nil {
		return nil, err
	}
	return e.residual(s, &t, i, BlockFFN, l.outLN, o, a, train)
}

// residual computes LayerNorm(res + hook(dropout(o))) for the end of layer i's block b, tracked
// by s; intermediates go to t. o is the block's output map's result.
func (e *Encoder) residual(s, t *hscope, i int, b Block, ln layerNorm, o, res raw, train bool) (raw, error) {
	o, err := t.dropout(o, e.Cfg.HiddenDropoutProb, train)
	if err != nil {
		return nil, err
	}
	if o, err = e.sublayerOut(t, i, b, o, train); err != nil {
		return nil, err
	}
	if o, err = t.add(o, res); err != nil {
		return nil, err
	}
	return s.layerNorm(ln, o)
}

// exactRootScale is 1/√d when √d is a power of two (d = 4ᵏ), a factor whose products are
// exact, and 0 otherwise.
func exactRootScale(d int64) float64 {
	if d < 1 || d&(d-1) != 0 || bits.TrailingZeros64(uint64(d))%2 != 0 {
		return 0
	}
	return math.Ldexp(1, -bits.TrailingZeros64(uint64(d))/2)
}
