package heads

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

// GlobalPointer scores every (type, start token, end token) cell of a sentence at once: per
// type, a query and a key vector of size D per token (one Dense layer H → E·2·D), rotary
// position encoding on both, and score = q_start·k_end / √D. A cell scoring above 0 is an
// entity. Cells with end < start or on special/padding tokens are masked to −1e12.
//
// Why spans and not BIOS tags: it is the FL-tuning authors' head for CLUENER, so their numbers
// are comparable with ours; it decodes without a tag-transition model (a BIOS tagger needs a
// CRF or repair rules for invalid sequences, and its F1 depends on them); and one token can
// start entities of several types, which a single tag per token cannot say. The cost is
// memory: (B, E, T, T) scores, fine for CLUENER's sentences of at most ~50 characters.
//
// Training minimises the multi-label categorical cross-entropy over each (sentence, type)
// grid, log(1 + Σ_neg e^s) + log(1 + Σ_gold e^−s), which needs no threshold tuning and no
// class weights for the overwhelmingly empty grid.
type GlobalPointer struct {
	W, B    *ts.Tensor // (E·2·D, H), (E·2·D)
	Types   int64      // E
	Size    int64      // D
	Dropout float64
}

// globalPointerSize is D, the query/key size per type (the authors used 64).
const globalPointerSize = 64

// maskedScore is what impossible cells score: far below any real score, but finite, so that
// the loss's sums stay finite in float32 and bfloat16.
const maskedScore = -1e12

// GlobalPointerParams counts the head's parameters.
func GlobalPointerParams(hidden, types int64) int64 {
	n := types * 2 * globalPointerSize
	return n*hidden + n
}

// NewGlobalPointer creates the head's variables under p: weights N(0, 0.02), bias zero.
func NewGlobalPointer(p *nn.Path, hidden, types int64, dropout float64) (*GlobalPointer, error) {
	n := types * 2 * globalPointerSize
	w, err := p.NewVar("weight", []int64{n, hidden}, nn.NewRandnInit(0, 0.02))
	if err != nil {
		return nil, fmt.Errorf("global pointer weight: %w", err)
	}
	b, err := p.NewVar("bias", []int64{n}, nn.NewConstInit(0))
	if err != nil {
		return nil, fmt.Errorf("global pointer bias: %w", err)
	}
	return &GlobalPointer{W: w, B: b, Types: types, Size: globalPointerSize, Dropout: dropout}, nil
}

// scores returns the masked (B, E, T, T) cell scores; b.Extra marks the text tokens.
func (g *GlobalPointer) scores(out model.Output, b *Batch, train bool) (*ts.Tensor, error) {
	size, err := out.Hidden.Size()
	if err != nil {
		return nil, err
	}
	bs, T, E, D := size[0], size[1], g.Types, g.Size
	var s tsx.Scope
	defer s.Drop()
	x := out.Hidden
	if train && g.Dropout > 0 {
		x = s.Do(func() (*ts.Tensor, error) { return ts.Dropout(out.Hidden, g.Dropout, true) })
	}
	wt := s.Do(func() (*ts.Tensor, error) { return g.W.T(false) })
	xw := s.Do(func() (*ts.Tensor, error) { return x.Matmul(wt, false) })
	proj := s.Do(func() (*ts.Tensor, error) { return xw.Add(g.B, false) })
	qk := s.Do(func() (*ts.Tensor, error) { return proj.View([]int64{bs, T, E, 2, D}, false) })
	cos, sin := rotaryTables(&s, T, D, out.Hidden)
	q := rotate(&s, s.Do(func() (*ts.Tensor, error) { return qk.Select(3, 0, false) }), cos, sin, []int64{bs, T, E, D})
	k := rotate(&s, s.Do(func() (*ts.Tensor, error) { return qk.Select(3, 1, false) }), cos, sin, []int64{bs, T, E, D})
	qp := s.Do(func() (*ts.Tensor, error) { return q.Permute([]int64{0, 2, 1, 3}, false) }) // (B, E, T, D)
	kp := s.Do(func() (*ts.Tensor, error) { return k.Permute([]int64{0, 2, 3, 1}, false) }) // (B, E, D, T)
	raw := s.Do(func() (*ts.Tensor, error) { return qp.Matmul(kp, false) })
	scaled := s.Do(func() (*ts.Tensor, error) { return tsx.Scaled(raw, 1/math.Sqrt(float64(D))) })
	// Allowed cells: both tokens are text and start ≤ end, i.e. the upper triangle of the
	// outer product of the text-token mask.
	m := s.Do(func() (*ts.Tensor, error) { return b.Extra.Totype(out.Hidden.DType(), false) })
	rowsM := s.Do(func() (*ts.Tensor, error) { return m.Unsqueeze(2, false) })
	colsM := s.Do(func() (*ts.Tensor, error) { return m.Unsqueeze(1, false) })
	outer := s.Do(func() (*ts.Tensor, error) { return rowsM.Matmul(colsM, false) })
	upper := s.Do(func() (*ts.Tensor, error) { return outer.Triu(0, false) })
	bad := s.Do(func() (*ts.Tensor, error) { return tsx.EqScalar(upper, 0) })
	bad4 := s.Do(func() (*ts.Tensor, error) { return bad.Unsqueeze(1, false) })
	res := s.Do(func() (*ts.Tensor, error) { return tsx.MaskedFill(scaled, bad4, maskedScore) })
	if err := s.Err(); err != nil {
		return nil, err
	}
	return s.Keep(res), nil
}

// rotaryTables returns cos and sin of the rotary angles, (1, T, 1, D) in like's dtype and on
// its device, tracked by s: position t, dimensions 2i and 2i+1 both use angle t·10000^(−2i/D).
func rotaryTables(s *tsx.Scope, T, D int64, like *ts.Tensor) (cos, sin *ts.Tensor) {
	c, sn := make([]float32, T*D), make([]float32, T*D)
	for t := int64(0); t < T; t++ {
		for i := int64(0); i < D; i++ {
			a := float64(t) * math.Pow(10000, -float64(2*(i/2))/float64(D))
			c[t*D+i], sn[t*D+i] = float32(math.Cos(a)), float32(math.Sin(a))
		}
	}
	up := func(v []float32) *ts.Tensor {
		return s.Do(func() (*ts.Tensor, error) {
			dev, err := like.Device()
			if err != nil {
				return nil, err
			}
			x, err := ts.OfSlice(v)
			if err != nil {
				return nil, err
			}
			y, err := x.Reshape([]int64{1, T, 1, D}, true)
			if err != nil || (dev == gotch.CPU && like.DType() == gotch.Float) {
				return y, err
			}
			return y.ToDevice(dev, like.DType(), false, false, true)
		})
	}
	return up(c), up(sn)
}

// rotate applies the rotary encoding to x (shape: B, T, E, D): x·cos + x̃·sin with
// x̃ = (−x1, x0, −x3, x2, …). Its steps are tracked by s.
func rotate(s *tsx.Scope, x, cos, sin *ts.Tensor, shape []int64) *ts.Tensor {
	pairs := s.Do(func() (*ts.Tensor, error) {
		return x.Reshape(append(append([]int64(nil), shape[:3]...), shape[3]/2, 2), false)
	})
	even := s.Do(func() (*ts.Tensor, error) { return pairs.Select(4, 0, false) })
	odd := s.Do(func() (*ts.Tensor, error) { return pairs.Select(4, 1, false) })
	negOdd := s.Do(func() (*ts.Tensor, error) { return odd.Neg(false) })
	swapped := s.Do(func() (*ts.Tensor, error) { return ts.Stack([]*ts.Tensor{negOdd, even}, 4) })
	tilde := s.Do(func() (*ts.Tensor, error) { return swapped.Reshape(shape, false) })
	a := s.Do(func() (*ts.Tensor, error) { return x.Mul(cos, false) })
	b := s.Do(func() (*ts.Tensor, error) { return tilde.Mul(sin, false) })
	return s.Do(func() (*ts.Tensor, error) { return a.Add(b, false) })
}

// Loss is the multi-label categorical cross-entropy averaged over (sentence, type) grids.
func (g *GlobalPointer) Loss(out model.Output, b *Batch) (*ts.Tensor, error) {
	sc, err := g.scores(out, b, true)
	if err != nil {
		return nil, err
	}
	defer tsx.Drop(sc)
	size, err := sc.Size()
	if err != nil {
		return nil, err
	}
	n, cells := size[0]*size[1], size[2]*size[3]
	var s tsx.Scope
	defer s.Drop()
	flat := s.Do(func() (*ts.Tensor, error) { return sc.Reshape([]int64{n, cells}, false) })
	y := s.Do(func() (*ts.Tensor, error) { return flat.ZerosLike(false) })
	if b.Target != nil {
		line := s.Do(func() (*ts.Tensor, error) { return y.Reshape([]int64{-1}, false) })
		filled := s.Do(func() (*ts.Tensor, error) { return tsx.IndexFill(line, 0, b.Target, 1) })
		y = s.Do(func() (*ts.Tensor, error) { return filled.Reshape([]int64{n, cells}, false) })
	}
	// Gold scores are negated, so that one log-sum-exp pushes them up and another pushes the
	// rest down; each side gets an extra 0 logit (the "1 +" inside the logs).
	minus2y := s.Do(func() (*ts.Tensor, error) { return tsx.Scaled(y, -2) })
	sign := s.Do(func() (*ts.Tensor, error) { return tsx.Shifted(minus2y, 1) }) // 1 − 2y
	signed := s.Do(func() (*ts.Tensor, error) { return flat.Mul(sign, false) })
	notGold := s.Do(func() (*ts.Tensor, error) { return sign.Add(y, false) }) // 1 − y
	goldBig := s.Do(func() (*ts.Tensor, error) { return tsx.Scaled(y, -maskedScore) })
	notGoldBig := s.Do(func() (*ts.Tensor, error) { return tsx.Scaled(notGold, -maskedScore) })
	neg := s.Do(func() (*ts.Tensor, error) { return signed.Sub(goldBig, false) })
	pos := s.Do(func() (*ts.Tensor, error) { return signed.Sub(notGoldBig, false) })
	dev, err := sc.Device()
	if err != nil {
		return nil, err
	}
	zero := s.Do(func() (*ts.Tensor, error) { return ts.Zeros([]int64{n, 1}, sc.DType(), dev) })
	negAll := s.Do(func() (*ts.Tensor, error) { return ts.Cat([]*ts.Tensor{neg, zero}, 1) })
	posAll := s.Do(func() (*ts.Tensor, error) { return ts.Cat([]*ts.Tensor{pos, zero}, 1) })
	negL := s.Do(func() (*ts.Tensor, error) { return negAll.Logsumexp([]int64{1}, false, false) })
	posL := s.Do(func() (*ts.Tensor, error) { return posAll.Logsumexp([]int64{1}, false, false) })
	sum := s.Do(func() (*ts.Tensor, error) { return negL.Add(posL, false) })
	loss := s.Do(func() (*ts.Tensor, error) { return sum.Mean(sc.DType(), false) })
	if err := s.Err(); err != nil {
		return nil, err
	}
	return s.Keep(loss), nil
}

// Predict returns, per sentence, every cell scoring above 0 as (type, start, end, score).
func (g *GlobalPointer) Predict(out model.Output, b *Batch) ([]Guess, error) {
	sc, err := g.scores(out, b, false)
	if err != nil {
		return nil, err
	}
	defer tsx.Drop(sc)
	var s tsx.Scope
	defer s.Drop()
	hit := s.Do(func() (*ts.Tensor, error) { return tsx.GtScalar(sc, 0) })
	where := s.Do(func() (*ts.Tensor, error) { return hit.Nonzero(false) }) // (N, 4), row-major order
	vals := s.Do(func() (*ts.Tensor, error) { return sc.MaskedSelect(hit, false) })
	if err := s.Err(); err != nil {
		return nil, err
	}
	gs := make([]Guess, b.Units)
	nv, err := tsx.Numel(vals)
	if err != nil {
		return nil, err
	}
	if nv == 0 {
		return gs, nil // gotch cannot copy out an empty tensor
	}
	score, err := floats(vals)
	if err != nil {
		return nil, err
	}
	idx, err := ints(where)
	if err != nil {
		return nil, err
	}
	if len(idx) != 4*len(score) {
		return nil, fmt.Errorf("global pointer: %d cells but %d scores", len(idx)/4, len(score))
	}
	for r := range score {
		c := idx[4*r : 4*r+4]
		gs[c[0]] = append(gs[c[0]], Scored{Label: int(c[1]), Start: int(c[2]), End: int(c[3]), Score: score[r]})
	}
	return gs, nil
}
