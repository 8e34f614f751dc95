package bench

import (
	"fmt"
	"math/rand"
	"sort"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/internal/tsx"
)

// split is one data split as the loop uses it: the examples (gold answers for scoring, ids for
// submissions) and their encoding by the task's kind.
type split struct {
	examples  []clue.Example
	data      heads.Data
	evalOrder []int // unit indices by length, the order predict batches them in
}

// encode tokenises examples once, before training, the way the task's kind wants them.
func (s *session) encode(exs []clue.Example) (split, error) {
	d, err := s.kind.Encode(s.tok, s.task, exs, s.opts)
	if err != nil {
		return split{}, err
	}
	for _, n := range d.Notes() {
		s.logf("%s", n)
	}
	return split{examples: exs, data: d, evalOrder: byLength(d)}, nil
}

// order returns unit indices for one epoch: shuffled by a generator derived from the seed and
// epoch (so a resumed or repeated run sees the same order), or in file order for eval.
func order(n int, shuffle bool, seed int64, epoch int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if shuffle {
		r := rand.New(rand.NewSource(seed*1_000_003 + int64(epoch)))
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	}
	return idx
}

// predict runs the head over every unit of sp in eval mode without gradients and decodes one
// prediction per example. Units go through in order of length, so each batch pads to a
// length close to its own rows (evaluation is a large share of a short cell's time); the
// guesses are put back in unit order for Decode.
func (s *session) predict(sp split) ([]clue.Prediction, error) {
	n, idx := sp.data.Len(), sp.evalOrder
	guesses := make([]heads.Guess, n)
	err := tsx.NoGrad(func() error {
		for at := 0; at < n; at += s.cell.Hyper.EvalBatchSize {
			chunk := idx[at:min(at+s.cell.Hyper.EvalBatchSize, n)]
			b, err := sp.data.Batch(chunk, s.device)
			if err != nil {
				return err
			}
			out, err := s.m.Encoder.Forward(b.In, false)
			if err == nil {
				var g []heads.Guess
				if g, err = s.m.Head.Predict(out, b); err == nil && len(g) != len(chunk) {
					err = fmt.Errorf("head returned %d guesses for %d units", len(g), len(chunk))
				}
				for k, u := range chunk {
					if err == nil {
						guesses[u] = g[k]
					}
				}
				tsx.Drop(out.Hidden, out.Pooled)
			}
			b.Drop()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sp.data.Decode(guesses)
}

// byLength returns the unit indices of d sorted by length (stable, so ties keep file order).
func byLength(d heads.Data) []int {
	idx := order(d.Len(), false, 0, 0)
	sort.SliceStable(idx, func(a, b int) bool { return d.UnitLen(idx[a]) < d.UnitLen(idx[b]) })
	return idx
}

// evaluate predicts sp and scores it when it is labelled.
func (s *session) evaluate(sp split) (map[string]float64, []clue.Prediction, error) {
	preds, err := s.predict(sp)
	if err != nil {
		return nil, nil, err
	}
	for _, ex := range sp.examples {
		if !ex.Labelled() {
			return nil, preds, nil
		}
	}
	m, err := clue.Evaluate(s.task, sp.examples, preds)
	return m, preds, err
}
