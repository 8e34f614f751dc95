package heads

import (
	"fmt"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/tokenizer"
)

func init() { Register(choice{}) }

// choice is the kind of multiple-choice tasks (C3, CHID): every candidate is its own row,
// [CLS] a [SEP] b [SEP] with the pair the task formatted, scored by Linear(H, 1) on [CLS]
// (or the pooler output); a softmax over the candidates of one question gives the loss.
// Questions with fewer candidates than the task's Labels are padded with copies of their
// first row whose scores are masked, so every unit has the same number of rows and a padded
// slot can never win.
type choice struct{}

var _ Kind = choice{}

func (choice) Name() string                            { return clue.MultipleChoice }
func (choice) Prefix() string                          { return "choice" }
func (choice) Params(_ *clue.Task, hidden int64) int64 { return ClassifierParams(hidden, 1) }

// slots is the number of rows per question: the task's label count ("0".."3" for C3).
func slots(task *clue.Task) int { return len(task.Labels) }

func (choice) NewHead(p *nn.Path, task *clue.Task, hidden int64, o Options) (Head, error) {
	c, err := NewClassifier(p, hidden, 1, o.Pooler, o.Dropout)
	if err != nil {
		return nil, err
	}
	return &choiceHead{c: c, slots: int64(slots(task))}, nil
}

func (choice) Encode(tok *tokenizer.Tokenizer, task *clue.Task, exs []clue.Example, o Options) (Data, error) {
	n := slots(task)
	d := &choiceData{slots: n, pad: tok.PAD(), labels: make([]int, len(exs)), real: make([]int, len(exs))}
	for i, ex := range exs {
		if len(ex.Choices) == 0 || len(ex.Choices) > n {
			return nil, fmt.Errorf("choice: example %s: %d choices, want 1 to %d", ex.ID, len(ex.Choices), n)
		}
		var first tokenizer.Encoding
		for c := 0; c < n; c++ {
			if c < len(ex.Choices) {
				e := encodeChoice(tok, ex.Choices[c][0], ex.Choices[c][1], o.MaxLen)
				if c == 0 {
					first = e
				}
				d.add(e)
			} else {
				d.add(first)
			}
		}
		d.labels[i], d.real[i] = ex.Label, len(ex.Choices)
	}
	return d, nil
}

// encodeChoice is EncodePair, except for a second text holding clue.ClozeMark: that row is
// [CLS] a [SEP] left [unused1] right [SEP], cut from the far ends of left and right (whichever
// is longer first) so that the gap and its surroundings stay, as the FL-tuning authors
// format CHID.
func encodeChoice(tok *tokenizer.Tokenizer, a, b string, maxLen int) tokenizer.Encoding {
	at := strings.Index(b, clue.ClozeMark)
	if at < 0 {
		return tok.EncodePair(a, b, maxLen)
	}
	mark, ok := tok.Vocab().ID(clue.ClozeMark)
	if !ok {
		mark = tok.MASK()
	}
	ida, _ := tok.TokenizeIDs(a)
	left, _ := tok.TokenizeIDs(b[:at])
	right, _ := tok.TokenizeIDs(b[at+len(clue.ClozeMark):])
	if maxLen > 0 {
		ida = ida[:min(len(ida), max(0, maxLen-4))]
		for budget := maxLen - len(ida) - 4; len(left)+len(right) > max(budget, 0); {
			if len(left) > len(right) {
				left = left[1:]
			} else {
				right = right[:len(right)-1]
			}
		}
	}
	var e tokenizer.Encoding
	e.IDs = append(append([]int64{tok.CLS()}, ida...), tok.SEP())
	e.TypeIDs = make([]int64, len(e.IDs))
	e.IDs = append(append(append(append(e.IDs, left...), mark), right...), tok.SEP())
	for len(e.TypeIDs) < len(e.IDs) {
		e.TypeIDs = append(e.TypeIDs, 1)
	}
	return e
}

// choiceData holds slots rows per unit, unit k's rows at k·slots … k·slots+slots−1.
type choiceData struct {
	rows
	slots  int
	pad    int64
	labels []int
	real   []int // candidates before padding
}

func (d *choiceData) Len() int        { return len(d.labels) }
func (d *choiceData) Notes() []string { return nil }

// UnitLen is the longest of unit i's candidate rows (padding rows included: they are short).
func (d *choiceData) UnitLen(i int) int {
	n := 0
	for c := 0; c < d.slots; c++ {
		n = max(n, len(d.ids[i*d.slots+c]))
	}
	return n
}

// Batch uploads the rows of units idx, Target = (B) right candidates, Extra = (B, slots) 1 on
// real candidates.
func (d *choiceData) Batch(idx []int, dev gotch.Device) (*Batch, error) {
	b := &Batch{Units: len(idx)}
	rowIdx := make([]int, 0, len(idx)*d.slots)
	labels := make([]int64, len(idx))
	valid := make([]int64, len(idx)*d.slots)
	for k, i := range idx {
		for c := 0; c < d.slots; c++ {
			rowIdx = append(rowIdx, i*d.slots+c)
			if c < d.real[i] {
				valid[k*d.slots+c] = 1
			}
		}
		labels[k] = int64(max(d.labels[i], 0)) // unlabelled (test) units never reach a loss
	}
	_, err := d.padRows(rowIdx, d.pad, dev, b)
	if err == nil {
		if b.Target, err = upload(labels, []int64{int64(len(idx))}, dev); err == nil {
			b.Extra, err = upload(valid, []int64{int64(len(idx)), int64(d.slots)}, dev)
		}
	}
	if err != nil {
		b.Drop()
		return nil, fmt.Errorf("make batch: %w", err)
	}
	return b, nil
}

// Decode picks the best-scoring real candidate of each unit.
func (d *choiceData) Decode(guesses []Guess) ([]clue.Prediction, error) {
	if len(guesses) != d.Len() {
		return nil, fmt.Errorf("choice: %d guesses for %d examples", len(guesses), d.Len())
	}
	out := make([]clue.Prediction, len(guesses))
	for i, g := range guesses {
		if len(g) != d.slots {
			return nil, fmt.Errorf("choice: unit %d: %d scores for %d slots", i, len(g), d.slots)
		}
		best := 0
		scores := make([]float64, d.real[i])
		for c := range scores {
			scores[c] = g[c].Score
			if g[c].Score > g[best].Score {
				best = c
			}
		}
		out[i] = clue.Prediction{Label: best, Scores: scores}
	}
	return out, nil
}

// choiceHead scores each row and groups the scores by unit.
type choiceHead struct {
	c     *Classifier
	slots int64
}

// scores returns (B, slots) candidate scores with padded slots at maskedScore.
func (h *choiceHead) scores(out model.Output, b *Batch, train bool) (*ts.Tensor, error) {
	logits, err := h.c.Forward(out, train) // (B·slots, 1)
	if err != nil {
		return nil, err
	}
	var s tsx.Scope
	defer s.Drop()
	s.Track(logits, nil)
	grouped := s.Do(func() (*ts.Tensor, error) { return logits.View([]int64{int64(b.Units), h.slots}, false) })
	pad := s.Do(func() (*ts.Tensor, error) { return tsx.EqScalar(b.Extra, 0) })
	res := s.Do(func() (*ts.Tensor, error) { return tsx.MaskedFill(grouped, pad, maskedScore) })
	if err := s.Err(); err != nil {
		return nil, err
	}
	return s.Keep(res), nil
}

// Loss is the cross-entropy of the right candidate among the unit's candidates.
func (h *choiceHead) Loss(out model.Output, b *Batch) (*ts.Tensor, error) {
	sc, err := h.scores(out, b, true)
	if err != nil {
		return nil, err
	}
	defer tsx.Drop(sc)
	return crossEntropy(sc, b.Target)
}

// Predict returns every slot's score; Decode picks among the real ones.
func (h *choiceHead) Predict(out model.Output, b *Batch) ([]Guess, error) {
	sc, err := h.scores(out, b, false)
	if err != nil {
		return nil, err
	}
	defer tsx.Drop(sc)
	v, err := floats(sc)
	if err != nil {
		return nil, err
	}
	gs := make([]Guess, b.Units)
	for k := range gs {
		for c := 0; c < int(h.slots); c++ {
			gs[k] = append(gs[k], Scored{Label: c, Score: v[k*int(h.slots)+c]})
		}
	}
	return gs, nil
}
