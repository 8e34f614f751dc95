//go:build cgo

package model

import (
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// NEZHA (transformers' NezhaModel) is BERT without absolute position embeddings: its
// positions are functional relative ones inside every layer's attention. For a query at i and
// a key at j, r = clip(j − i, −M, M) + M indexes a fixed sinusoid table of 2M+1 rows × d
// (M = max_relative_position, d the head size; row r holds sin(r·ω_c) in even columns and
// cos(r·ω_c) in odd ones, ω_c = 10000^(−2c/d)). The row is added to the key in the score,
// q·(k_j + a_ij), and to the value in the context, Σ_j p_ij·(v_j + a_ij); both before the
// 1/√d scaling and after attention dropout respectively, as NezhaSelfAttention does. The table
// is not a variable: checkpoints carry it as a buffer (relative_positions_encoding.
// positions_encoding), which loading leaves unused.
//
// Prefix keys and values (P-tuning v2) get a zero relative term, as in the FL-tuning
// authors' NEZHA code, which pads the relative tensor with zeros over the prefix.

// nezhaPositions implements positionScheme for NEZHA.
type nezhaPositions struct {
	table *ts.Tensor // (2M+1, d), the model's dtype and device
	max   int64
	dev   gotch.Device
}

// newNEZHAPositions builds the sinusoid table as transformers' NezhaRelativePositionsEncoding
// does, in float32 arithmetic (position·ω_c with ω_c = exp(2c·(−ln 10000/d))), so that the
// values are those an HF model holds.
func newNEZHAPositions(c Config, dev gotch.Device) (*nezhaPositions, error) {
	d, rows := c.HeadDim(), 2*c.MaxRelativePosition+1
	vals := make([]float32, rows*d)
	scale := float32(-math.Log(10000.0) / float64(d))
	for col := int64(0); col < d; col += 2 {
		omega := float32(math.Exp(float64(float32(col) * scale)))
		for r := int64(0); r < rows; r++ {
			a := float64(float32(r) * omega)
			vals[r*d+col] = float32(math.Sin(a))
			vals[r*d+col+1] = float32(math.Cos(a))
		}
	}
	table, err := deviceTable(vals, rows, d, dev)
	if err != nil {
		return nil, err
	}
	return &nezhaPositions{table: table, max: c.MaxRelativePosition, dev: dev}, nil
}

// begin implements positionScheme: the (T, P+T, d) relative term of every query and key,
// zero over the prefix keys. Absolute positions do not matter, so start is unused.
func (n *nezhaPositions) begin(s *hscope, seq, _, plen int64) (positionTerms, error) {
	var t hscope
	defer t.free()
	ar, err := t.arange(0, seq, n.dev)
	if err != nil {
		return nil, err
	}
	keys, err := t.view(ar, []int64{1, seq})
	if err != nil {
		return nil, err
	}
	queries, err := t.view(ar, []int64{seq, 1})
	if err != nil {
		return nil, err
	}
	dist, err := t.op(func(out *libtch.Ctensor) { libtch.AtgSub(out, keys, queries) }) // (T, T): j − i
	if err != nil {
		return nil, err
	}
	lo, hi, m := libtch.AtsInt(-n.max), libtch.AtsInt(n.max), libtch.AtsInt(n.max)
	defer func() { libtch.AtsFree(lo); libtch.AtsFree(hi); libtch.AtsFree(m) }()
	if dist, err = t.op(func(out *libtch.Ctensor) { libtch.AtgClamp(out, dist, lo, hi) }); err != nil {
		return nil, err
	}
	if dist, err = t.op(func(out *libtch.Ctensor) { libtch.AtgAddScalar(out, dist, m) }); err != nil {
		return nil, err
	}
	rel, err := t.embedding(n.table, dist, -1) // (T, T, d)
	if err != nil {
		return nil, err
	}
	if plen > 0 {
		shape, err := shapeOf(rel)
		if err != nil {
			return nil, err
		}
		zeros, err := t.filled(false, []int64{seq, plen, shape[2]}, n.table.DType(), n.dev)
		if err != nil {
			return nil, err
		}
		if rel, err = t.cat([]raw{zeros, rel}, 1); err != nil {
			return nil, err
		}
	}
	// The score term multiplies by aᵀ in every layer: transpose it once per forward.
	relT, err := t.permute(rel, []int64{0, 2, 1}) // (T, d, P+T)
	if err != nil {
		return nil, err
	}
	s.held = append(s.held, t.keep(rel), t.keep(relT))
	return &nezhaTerms{rel: rel, relT: relT, seq: seq}, nil
}

// nezhaTerms implements positionTerms with the relative tensor a (T, P+T, d) and its
// transpose (T, d, P+T).
type nezhaTerms struct {
	rel, relT raw
	seq       int64
}

// rotate implements positionTerms: NEZHA leaves queries, keys and values as they are.
func (*nezhaTerms) rotate(_ *hscope, q, k, v raw) (raw, raw, raw, error) { return q, k, v, nil }

// scoreTerm implements positionTerms: q_i·a_ij for every head, (B, heads, T, P+T).
func (n *nezhaTerms) scoreTerm(t *hscope, q raw) (raw, error) {
	return n.perQuery(t, q, n.relT)
}

// contextTerm implements positionTerms: Σ_j p_ij·a_ij for every head, (B, heads, T, d).
func (n *nezhaTerms) contextTerm(t *hscope, probs raw) (raw, error) {
	return n.perQuery(t, probs, n.rel)
}

// perQuery multiplies x (B, heads, T, n) by a per-query matrix m (T, n, k) as a batch over
// the T queries: (T, B·heads, n)·(T, n, k), giving (B, heads, T, k).
func (n *nezhaTerms) perQuery(t *hscope, x, m raw) (raw, error) {
	shape, err := shapeOf(x)
	if err != nil {
		return nil, err
	}
	bsz, heads := shape[0], shape[1]
	xt, err := t.permute(x, []int64{2, 0, 1, 3}) // (T, B, heads, n)
	if err != nil {
		return nil, err
	}
	if xt, err = t.reshape(xt, []int64{n.seq, bsz * heads, shape[3]}); err != nil {
		return nil, err
	}
	y, err := t.matmul(xt, m) // (T, B·heads, k)
	if err != nil {
		return nil, err
	}
	if y, err = t.view(y, []int64{n.seq, bsz, heads, -1}); err != nil {
		return nil, err
	}
	return t.permute(y, []int64{1, 2, 0, 3})
}
