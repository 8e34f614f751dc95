//go:build cgo

package model

import (
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// RoFormer (transformers' RoFormerModel) is BERT with rotary positions and no pooler. Its
// embeddings are word + token type (width E = embedding_size, hidden_size by default),
// LayerNorm and dropout, then embeddings_project, a Linear(E, H), when E ≠ H. In every layer the
// queries and keys (and the values, with rotary_value) of the token at position p are turned
// pairwise: dimensions (2c, 2c+1) rotate by the angle p·ω_c, ω_c = 10000^(−2c/d), i.e.
// x′ = x·cos + rot(x)·sin with rot(x) = (−x₁, x₀, −x₃, x₂, …) and sin, cos repeated per pair.
// The angles come from the sinusoid table transformers keeps as encoder.embed_positions
// (max_position_embeddings × d, sin in the first half, cos in the second, computed in float64
// and stored as float32); it is computed here, not loaded, and a checkpoint's copy is unused.
//
// Pooler: transformers' RoFormerModel has none (its classification head reads [CLS] through
// a fresh dense layer of its own), so Output.Pooled is nil and a head must read [CLS].
//
// Prefix keys and values (P-tuning v2) are not rotated: transformers rotates the new keys
// before joining them to past_key_values, and the FL-tuning authors' RoFormer code scores the
// rotated queries against the prefix keys as they are. Real tokens take positions 0…T−1, or
// P…P+T−1 when the prefix shifts positions.

// newRoFormerParts builds embeddings_project (when E ≠ H) and the rotary tables.
func newRoFormerParts(at func(...string) *nn.Path, c Config, dev gotch.Device) (linear, positionScheme, error) {
	var proj linear
	if e, h := c.EmbeddingDim(), c.HiddenSize; e != h {
		var err error
		if proj, err = newLinear(at("embeddings_project"), e, h, c.InitializerRange); err != nil {
			return linear{}, nil, err
		}
	}
	r, err := newRotary(c, dev)
	return proj, r, err
}

// rotary implements positionScheme for RoFormer.
type rotary struct {
	sin, cos    *ts.Tensor // (MaxPos, d): each angle's sine and cosine repeated for both of a pair
	rotateValue bool
}

// newRotary computes the angles as transformers' RoFormerSinusoidalPositionalEmbedding does:
// in float64, rounded to float32.
func newRotary(c Config, dev gotch.Device) (*rotary, error) {
	d, n := c.HeadDim(), c.MaxPositionEmbeddings
	sin, cos := make([]float32, n*d), make([]float32, n*d)
	for p := int64(0); p < n; p++ {
		for col := int64(0); col < d; col += 2 {
			a := float64(p) / math.Pow(10000, float64(col)/float64(d))
			s, c := float32(math.Sin(a)), float32(math.Cos(a))
			sin[p*d+col], sin[p*d+col+1] = s, s
			cos[p*d+col], cos[p*d+col+1] = c, c
		}
	}
	r := &rotary{rotateValue: c.RotaryValue}
	var err error
	if r.sin, err = deviceTable(sin, n, d, dev); err != nil {
		return nil, err
	}
	if r.cos, err = deviceTable(cos, n, d, dev); err != nil {
		tsx.Drop(r.sin)
		return nil, err
	}
	return r, nil
}

// begin implements positionScheme: the (T, d) sines and cosines of positions start…start+T−1.
func (r *rotary) begin(s *hscope, seq, start, _ int64) (positionTerms, error) {
	sin, err := s.op(func(out *libtch.Ctensor) { libtch.AtgNarrow(out, handle(r.sin), 0, start, seq) })
	if err != nil {
		return nil, err
	}
	cos, err := s.op(func(out *libtch.Ctensor) { libtch.AtgNarrow(out, handle(r.cos), 0, start, seq) })
	if err != nil {
		return nil, err
	}
	return &rotaryTerms{sin: sin, cos: cos, rotateValue: r.rotateValue}, nil
}

// rotaryTerms implements positionTerms for one forward pass.
type rotaryTerms struct {
	sin, cos    raw // (T, d)
	rotateValue bool
}

// rotate implements positionTerms: queries and keys turn, values too with rotary_value.
func (r *rotaryTerms) rotate(t *hscope, q, k, v raw) (raw, raw, raw, error) {
	var err error
	if q, err = r.turn(t, q); err != nil {
		return nil, nil, nil, err
	}
	if k, err = r.turn(t, k); err != nil {
		return nil, nil, nil, err
	}
	if r.rotateValue {
		if v, err = r.turn(t, v); err != nil {
			return nil, nil, nil, err
		}
	}
	return q, k, v, nil
}

// turn is x·cos + rot(x)·sin for x (B, heads, T, d), in transformers' order of operations.
func (r *rotaryTerms) turn(t *hscope, x raw) (raw, error) {
	shape, err := shapeOf(x)
	if err != nil {
		return nil, err
	}
	d := shape[3]
	pairs, err := t.reshape(x, []int64{shape[0], shape[1], shape[2], d / 2, 2})
	if err != nil {
		return nil, err
	}
	even, err := t.op(func(out *libtch.Ctensor) { libtch.AtgSelect(out, pairs, -1, 0) })
	if err != nil {
		return nil, err
	}
	odd, err := t.op(func(out *libtch.Ctensor) { libtch.AtgSelect(out, pairs, -1, 1) })
	if err != nil {
		return nil, err
	}
	if odd, err = t.op(func(out *libtch.Ctensor) { libtch.AtgNeg(out, odd) }); err != nil {
		return nil, err
	}
	rot, err := t.op(func(out *libtch.Ctensor) { libtch.AtgStack(out, []raw{odd, even}, 2, -1) })
	if err != nil {
		return nil, err
	}
	if rot, err = t.reshape(rot, shape); err != nil {
		return nil, err
	}
	a, err := t.op(func(out *libtch.Ctensor) { libtch.AtgMul(out, x, r.cos) })
	if err != nil {
		return nil, err
	}
	b, err := t.op(func(out *libtch.Ctensor) { libtch.AtgMul(out, rot, r.sin) })
	if err != nil {
		return nil, err
	}
	return t.add(a, b)
}

// scoreTerm implements positionTerms: rotary positions add nothing to the scores.
func (*rotaryTerms) scoreTerm(*hscope, raw) (raw, error) { return nil, nil }

// contextTerm implements positionTerms: rotary positions add nothing to the context.
func (*rotaryTerms) contextTerm(*hscope, raw) (raw, error) { return nil, nil }
