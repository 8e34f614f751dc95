package heads

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/tokenizer"
)

func init() { Register(span{}) }

// span is the kind of extractive reading comprehension (CMRC2018). A context longer than a
// row is cut into windows [CLS] question [SEP] context[a:a+room] [SEP] whose starts are
// spanStride tokens apart (BERT's doc_stride); each window is a unit. A Linear(H, 2) head
// gives every token a start and an end score. A window is trained towards the answer's first
// and last token when it holds the whole answer, and towards [CLS] ("not here") otherwise;
// at prediction each window proposes its best span (start ≤ end, both in the context, at
// most maxAnswerTokens long) and the best-scoring window of a question wins.
type span struct{}

var _ Kind = span{}

const (
	spanStride       = 128 // tokens between window starts
	maxQuestionToken = 64  // longer questions are cut
	maxAnswerTokens  = 64
)

func (span) Name() string                            { return clue.Span }
func (span) Prefix() string                          { return "qa_outputs" }
func (span) Params(_ *clue.Task, hidden int64) int64 { return ClassifierParams(hidden, 2) }

func (span) NewHead(p *nn.Path, _ *clue.Task, hidden int64, o Options) (Head, error) {
	c, err := NewClassifier(p, hidden, 2, false, o.Dropout)
	if err != nil {
		return nil, err
	}
	return &spanHead{c: c}, nil
}

// window is one unit: which example, where its context tokens start in the row and in the
// example's context, how many there are, and the training target (0, 0 = [CLS]).
type window struct {
	ex, rowStart, ctxStart, n int
	start, end                int
}

type spanData struct {
	rows
	pad      int64
	windows  []window
	offsets  [][][2]int // per example, context token → characters
	context  [][]rune
	exs      int
	unfit    int // labelled questions whose answer no window can be trained towards
	labelled int
}

func (span) Encode(tok *tokenizer.Tokenizer, _ *clue.Task, exs []clue.Example, o Options) (Data, error) {
	d := &spanData{pad: tok.PAD(), exs: len(exs)}
	for i, ex := range exs {
		q, _ := tok.TokenizeIDs(ex.TextA)
		q = q[:min(len(q), maxQuestionToken)]
		c, offs := tok.TokenizeIDs(ex.TextB)
		room := o.MaxLen - len(q) - 3
		if o.MaxLen <= 0 {
			room = len(c)
		}
		if room < 1 {
			return nil, fmt.Errorf("span: max_len %d leaves no room for the context of question %s", o.MaxLen, ex.ID)
		}
		d.offsets = append(d.offsets, offs)
		d.context = append(d.context, []rune(ex.TextB))
		first, last := goldTokens(ex.Answers, offs)
		if ex.Labelled() {
			d.labelled++
		}
		fitted := false
		for a := 0; ; a += min(spanStride, room) {
			b := min(a+room, len(c))
			w := window{ex: i, rowStart: len(q) + 2, ctxStart: a, n: b - a}
			if first >= a && last < b && first <= last {
				w.start, w.end, fitted = first-a+w.rowStart, last-a+w.rowStart, true
			}
			ids := make([]int64, 0, len(q)+b-a+3)
			ids = append(append(append(append(append(ids, tok.CLS()), q...), tok.SEP()), c[a:b]...), tok.SEP())
			types := make([]int64, len(ids))
			for t := w.rowStart; t < len(types); t++ {
				types[t] = 1
			}
			d.ids, d.types = append(d.ids, ids), append(d.types, types)
			d.windows = append(d.windows, w)
			if b >= len(c) {
				break
			}
		}
		if ex.Labelled() && !fitted {
			d.unfit++
		}
	}
	return d, nil
}

// goldTokens maps the first located answer to its first and last context token; (-1, -1) if
// there is none.
func goldTokens(answers []clue.Answer, offs [][2]int) (first, last int) {
	for _, a := range answers {
		if a.Start < 0 {
			continue
		}
		s, e := a.Start, a.Start+len([]rune(a.Text)) // [s, e) in characters
		first, last = -1, -1
		for t, off := range offs {
			if first < 0 && off[1] > s {
				first = t
			}
			if off[0] < e {
				last = t
			}
		}
		if first >= 0 && first <= last {
			return first, last
		}
	}
	return -1, -1
}

func (d *spanData) Len() int { return len(d.windows) }

func (d *spanData) Notes() []string {
	if d.unfit == 0 {
		return nil
	}
	return []string{fmt.Sprintf("span: %d of %d labelled questions have no located answer inside a window; they train towards [CLS] only", d.unfit, d.labelled)}
}

// Batch uploads Target = (B, 2) start and end rows, Extra = (B, T) 1 where a span may start
// or end: the context tokens and [CLS].
func (d *spanData) Batch(idx []int, dev gotch.Device) (*Batch, error) {
	b := &Batch{Units: len(idx)}
	maxT, err := d.padRows(idx, d.pad, dev, b)
	if err == nil {
		target := make([]int64, 2*len(idx))
		allowed := make([]int64, len(idx)*maxT)
		for k, i := range idx {
			w := d.windows[i]
			target[2*k], target[2*k+1] = int64(w.start), int64(w.end)
			allowed[k*maxT] = 1
			for t := w.rowStart; t < w.rowStart+w.n; t++ {
				allowed[k*maxT+t] = 1
			}
		}
		if b.Target, err = upload(target, []int64{int64(len(idx)), 2}, dev); err == nil {
			b.Extra, err = upload(allowed, []int64{int64(len(idx)), int64(maxT)}, dev)
		}
	}
	if err != nil {
		b.Drop()
		return nil, fmt.Errorf("make batch: %w", err)
	}
	return b, nil
}

// Decode keeps each question's best-scoring window and cuts its span out of the context.
func (d *spanData) Decode(guesses []Guess) ([]clue.Prediction, error) {
	if len(guesses) != len(d.windows) {
		return nil, fmt.Errorf("span: %d guesses for %d windows", len(guesses), len(d.windows))
	}
	out := make([]clue.Prediction, d.exs)
	best := make([]*Scored, d.exs)
	for i, g := range guesses {
		w := d.windows[i]
		for k := range g {
			s := g[k]
			if s.Start < w.rowStart || s.End >= w.rowStart+w.n || s.Start > s.End {
				return nil, fmt.Errorf("span: window %d: guess %+v outside its context", i, s)
			}
			if best[w.ex] == nil || s.Score > best[w.ex].Score {
				s.Start, s.End = s.Start-w.rowStart+w.ctxStart, s.End-w.rowStart+w.ctxStart
				best[w.ex] = &s
			}
		}
	}
	for i := range out {
		out[i].Label = -1
		if s := best[i]; s != nil {
			offs := d.offsets[i]
			out[i].Answer = string(d.context[i][offs[s.Start][0]:offs[s.End][1]])
		}
	}
	return out, nil
}

// spanHead reuses the classifier's Linear(H, 2) variables, applied to every token.
type spanHead struct{ c *Classifier }

// scores returns start and end scores (B, T) each, −1e12 where a span may not start or end.
func (h *spanHead) scores(out model.Output, b *Batch, train bool) (start, end *ts.Tensor, err error) {
	var s tsx.Scope
	defer s.Drop()
	x := out.Hidden
	if train && h.c.Dropout > 0 {
		x = s.Do(func() (*ts.Tensor, error) { return ts.Dropout(out.Hidden, h.c.Dropout, true) })
	}
	wt := s.Do(func() (*ts.Tensor, error) { return h.c.W.T(false) })
	xw := s.Do(func() (*ts.Tensor, error) { return x.Matmul(wt, false) })
	logits := s.Do(func() (*ts.Tensor, error) { return xw.Add(h.c.B, false) }) // (B, T, 2)
	bad := s.Do(func() (*ts.Tensor, error) { return tsx.EqScalar(b.Extra, 0) })
	st := s.Do(func() (*ts.Tensor, error) { return logits.Select(2, 0, false) })
	en := s.Do(func() (*ts.Tensor, error) { return logits.Select(2, 1, false) })
	start = s.Do(func() (*ts.Tensor, error) { return tsx.MaskedFill(st, bad, maskedScore) })
	end = s.Do(func() (*ts.Tensor, error) { return tsx.MaskedFill(en, bad, maskedScore) })
	if err := s.Err(); err != nil {
		return nil, nil, err
	}
	return s.Keep(start), s.Keep(end), nil
}

// Loss is the mean of the start and end cross-entropies.
func (h *spanHead) Loss(out model.Output, b *Batch) (*ts.Tensor, error) {
	start, end, err := h.scores(out, b, true)
	if err != nil {
		return nil, err
	}
	var s tsx.Scope
	defer s.Drop()
	s.Track(start, nil)
	s.Track(end, nil)
	ts0 := s.Do(func() (*ts.Tensor, error) { return b.Target.Select(1, 0, false) })
	ts1 := s.Do(func() (*ts.Tensor, error) { return b.Target.Select(1, 1, false) })
	l0 := s.Do(func() (*ts.Tensor, error) { return crossEntropy(start, ts0) })
	l1 := s.Do(func() (*ts.Tensor, error) { return crossEntropy(end, ts1) })
	sum := s.Do(func() (*ts.Tensor, error) { return l0.Add(l1, false) })
	loss := s.Do(func() (*ts.Tensor, error) { return tsx.Scaled(sum, 0.5) })
	if err := s.Err(); err != nil {
		return nil, err
	}
	return s.Keep(loss), nil
}

// Predict returns each window's best span, in row token indices, scored start + end.
func (h *spanHead) Predict(out model.Output, b *Batch) ([]Guess, error) {
	start, end, err := h.scores(out, b, false)
	if err != nil {
		return nil, err
	}
	defer tsx.Drop(start)
	defer tsx.Drop(end)
	sv, err := floats(start)
	if err != nil {
		return nil, err
	}
	ev, err := floats(end)
	if err != nil {
		return nil, err
	}
	T := len(sv) / b.Units
	gs := make([]Guess, b.Units)
	for k := range gs {
		if best := bestSpan(sv[k*T:(k+1)*T], ev[k*T:(k+1)*T]); best != nil {
			gs[k] = Guess{*best}
		}
	}
	return gs, nil
}

// bestSpan is the (i, j) maximising start[i] + end[j] with 1 ≤ i ≤ j < i+maxAnswerTokens and
// neither masked; nil if there is none. Position 0 is [CLS], "not in this window".
func bestSpan(start, end []float64) *Scored {
	var best *Scored
	for i := 1; i < len(start); i++ {
		if start[i] <= maskedScore/2 {
			continue
		}
		for j := i; j < min(len(end), i+maxAnswerTokens); j++ {
			if end[j] <= maskedScore/2 {
				continue
			}
			if sc := start[i] + end[j]; best == nil || sc > best.Score {
				best = &Scored{Start: i, End: j, Score: sc}
			}
		}
	}
	return best
}
