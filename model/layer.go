package model

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch/ts"
)

// layerForward runs layer i on x (B, T, H) and returns a new (B, T, H) tensor; x is not dropped.
// mask is the additive (B, 1, 1, P+T) mask or nil.
func (e *Encoder) layerForward(i int, x, mask *ts.Tensor, bsz, seq, plen int64, train bool) (*ts.Tensor, error) {
	a, err := e.attention(i, x, mask, bsz, seq, plen, train)
	if err != nil {
		return nil, fmt.Errorf("attention: %w", err)
	}
	defer dropAll(a)
	out, err := e.feedForward(i, a, train)
	if err != nil {
		return nil, fmt.Errorf("feed-forward: %w", err)
	}
	return out, nil
}

// attention is the self-attention block: LayerNorm(x + dropout(dense(softmax(QKᵀ/√d + mask)·V))),
// with attention-prob dropout, and prefix keys/values concatenated in front of K and V.
func (e *Encoder) attention(i int, x, mask *ts.Tensor, bsz, seq, plen int64, train bool) (*ts.Tensor, error) {
	l := &e.layers[i]
	c := e.Cfg
	nh, d := c.NumAttentionHeads, c.HeadDim()
	var s scope
	defer s.drop()

	// (B, T, H) → (B, heads, T, d)
	heads := func(lin linear) (*ts.Tensor, error) {
		y, err := s.track(lin.forward(x))
		if err != nil {
			return nil, err
		}
		v, err := s.track(y.View([]int64{bsz, seq, nh, d}, false))
		if err != nil {
			return nil, err
		}
		return s.track(v.Permute([]int64{0, 2, 1, 3}, false))
	}
	q, err := heads(l.query)
	if err != nil {
		return nil, err
	}
	k, err := heads(l.key)
	if err != nil {
		return nil, err
	}
	v, err := heads(l.value)
	if err != nil {
		return nil, err
	}
	if e.prefix != nil && plen > 0 {
		if k, v, err = e.withPrefix(&s, i, k, v, bsz, plen, train); err != nil {
			return nil, err
		}
	}
	kt, err := s.track(k.Transpose(-1, -2, false))
	if err != nil {
		return nil, err
	}
	scores, err := s.track(q.Matmul(kt, false)) // (B, heads, T, P+T)
	if err != nil {
		return nil, err
	}
	if scores, err = s.track(scores.DivScalar(ts.FloatScalar(math.Sqrt(float64(d))), false)); err != nil {
		return nil, err
	}
	if mask != nil {
		if scores, err = s.track(scores.Add(mask, false)); err != nil {
			return nil, err
		}
	}
	probs, err := s.track(scores.Softmax(-1, scores.DType(), false))
	if err != nil {
		return nil, err
	}
	if probs, err = s.track(dropout(probs, c.AttentionProbsDropoutProb, train)); err != nil {
		return nil, err
	}
	ctx, err := s.track(probs.Matmul(v, false)) // (B, heads, T, d)
	if err != nil {
		return nil, err
	}
	if ctx, err = s.track(ctx.Permute([]int64{0, 2, 1, 3}, false)); err != nil {
		return nil, err
	}
	if ctx, err = s.track(ctx.Reshape([]int64{bsz, seq, c.HiddenSize}, false)); err != nil {
		return nil, err
	}
	return e.residual(&s, l.attnOut, l.attnLN, ctx, x, nil, train)
}

// withPrefix fetches layer i's prefix and puts it in front of k and v (B, heads, T, d), giving
// (B, heads, P+T, d). The prefix tensors are tracked by s and so dropped after use.
func (e *Encoder) withPrefix(s *scope, i int, k, v *ts.Tensor, bsz, plen int64, train bool) (*ts.Tensor, *ts.Tensor, error) {
	pk, pv, err := e.prefix.KV(i, bsz, train)
	_, _ = s.track(pk, nil)
	_, _ = s.track(pv, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("prefix: %w", err)
	}
	want := []int64{bsz, e.Cfg.NumAttentionHeads, plen, e.Cfg.HeadDim()}
	for _, t := range []struct {
		name string
		x    *ts.Tensor
	}{{"keys", pk}, {"values", pv}} {
		if t.x == nil {
			return nil, nil, fmt.Errorf("prefix %s are nil", t.name)
		}
		got, err := t.x.Size()
		if err != nil {
			return nil, nil, fmt.Errorf("prefix %s: %w", t.name, torchErr(err))
		}
		if !sameShape(got, want) {
			return nil, nil, fmt.Errorf("prefix %s have shape %v, want %v", t.name, got, want)
		}
	}
	k, err = s.track(ts.Cat([]*ts.Tensor{pk, k}, 2))
	if err != nil {
		return nil, nil, err
	}
	v, err = s.track(ts.Cat([]*ts.Tensor{pv, v}, 2))
	if err != nil {
		return nil, nil, err
	}
	return k, v, nil
}

// feedForward is LayerNorm(a + dropout(dense₂(act(dense₁(a))) + branch(a))).
func (e *Encoder) feedForward(i int, a *ts.Tensor, train bool) (*ts.Tensor, error) {
	l := &e.layers[i]
	var s scope
	defer s.drop()
	h, err := s.track(l.inter.forward(a))
	if err != nil {
		return nil, err
	}
	if h, err = s.track(e.act(h)); err != nil {
		return nil, err
	}
	var extra *ts.Tensor
	if e.branch != nil {
		br, err := e.branch.Forward(i, a, train)
		_, _ = s.track(br, nil)
		if err != nil {
			return nil, fmt.Errorf("FFN branch: %w", err)
		}
		extra = br
	}
	return e.residual(&s, l.out, l.outLN, h, a, extra, train)
}

// residual computes LayerNorm(res + dropout(dense(h) + extra)) for the end of both blocks.
// extra may be nil; if set it must have the dense output's shape.
func (e *Encoder) residual(s *scope, dense linear, ln layerNorm, h, res, extra *ts.Tensor, train bool) (*ts.Tensor, error) {
	o, err := s.track(dense.forward(h))
	if err != nil {
		return nil, err
	}
	if extra != nil {
		want, err := o.Size()
		if err != nil {
			return nil, torchErr(err)
		}
		got, err := extra.Size()
		if err != nil {
			return nil, fmt.Errorf("FFN branch output: %w", torchErr(err))
		}
		if !sameShape(got, want) {
			return nil, fmt.Errorf("FFN branch output has shape %v, want %v", got, want)
		}
		if o, err = s.track(o.Add(extra, false)); err != nil {
			return nil, err
		}
	}
	if o, err = s.track(dropout(o, e.Cfg.HiddenDropoutProb, train)); err != nil {
		return nil, err
	}
	if o, err = s.track(o.Add(res, false)); err != nil {
		return nil, err
	}
	return ln.forward(o)
}
