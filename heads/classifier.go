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

func init() { Register(classification{}) }

// classification is the kind of single-label tasks: [CLS] a [SEP] (b [SEP]) → one label.
type classification struct{}

var _ Kind = classification{}

func (classification) Name() string   { return clue.Classification }
func (classification) Prefix() string { return "classifier" }

func (classification) Params(task *clue.Task, hidden int64) int64 {
	return ClassifierParams(hidden, int64(len(task.Labels)))
}

func (classification) NewHead(p *nn.Path, task *clue.Task, hidden int64, o Options) (Head, error) {
	return NewClassifier(p, hidden, int64(len(task.Labels)), o.Pooler, o.Dropout)
}

// Encode tokenises single texts as [CLS] a [SEP] and pairs as [CLS] a [SEP] b [SEP].
func (classification) Encode(tok *tokenizer.Tokenizer, _ *clue.Task, exs []clue.Example, o Options) (Data, error) {
	d := &labelData{labels: make([]int, len(exs)), pad: tok.PAD()}
	for i, ex := range exs {
		if ex.TextB == "" {
			d.add(tok.Encode(ex.TextA, o.MaxLen))
		} else {
			d.add(tok.EncodePair(ex.TextA, ex.TextB, o.MaxLen))
		}
		d.labels[i] = ex.Label
	}
	return d, nil
}

// labelData is one row and one label per unit.
type labelData struct {
	rows
	labels []int
	pad    int64
}

func (d *labelData) Len() int        { return len(d.ids) }
func (d *labelData) Notes() []string { return nil }

func (d *labelData) Batch(idx []int, dev gotch.Device) (*Batch, error) {
	b := &Batch{Units: len(idx)}
	_, err := d.padRows(idx, d.pad, dev, b)
	if err == nil {
		labels := make([]int64, len(idx))
		for k, i := range idx {
			labels[k] = int64(max(d.labels[i], 0)) // unlabelled (test) rows never reach a loss
		}
		b.Target, err = upload(labels, []int64{int64(len(idx))}, dev)
	}
	if err != nil {
		b.Drop()
		return nil, fmt.Errorf("make batch: %w", err)
	}
	return b, nil
}

func (d *labelData) Decode(guesses []Guess) ([]clue.Prediction, error) {
	if len(guesses) != d.Len() {
		return nil, fmt.Errorf("classification: %d guesses for %d examples", len(guesses), d.Len())
	}
	out := make([]clue.Prediction, len(guesses))
	for i, g := range guesses {
		if len(g) != 1 {
			return nil, fmt.Errorf("classification: unit %d: %d guesses, want 1", i, len(g))
		}
		out[i] = clue.Prediction{Label: g[0].Label}
	}
	return out, nil
}

// Classifier maps the [CLS] representation to label logits: dropout → Linear(H, n).
// With Pooler it reads the encoder's pooler output (tanh(dense([CLS])), as HF's
// BertForSequenceClassification does); without it the last hidden state at [CLS], as the
// FL-tuning authors' code does. The pooler belongs to the encoder and trains only if the
// method trains the encoder.
type Classifier struct {
	W, B    *ts.Tensor // (n, H), (n)
	Pooler  bool
	Dropout float64
}

// ClassifierPrefix is the variable namespace of the classification head (HF's name).
const ClassifierPrefix = "classifier."

// NewClassifier creates the head's variables under p (named "classifier" by the caller):
// weights N(0, 0.02), bias zero, as BERT initialises task heads.
func NewClassifier(p *nn.Path, hidden, labels int64, pooler bool, dropout float64) (*Classifier, error) {
	w, err := p.NewVar("weight", []int64{labels, hidden}, nn.NewRandnInit(0, 0.02))
	if err != nil {
		return nil, fmt.Errorf("classifier weight: %w", err)
	}
	b, err := p.NewVar("bias", []int64{labels}, nn.NewConstInit(0))
	if err != nil {
		return nil, fmt.Errorf("classifier bias: %w", err)
	}
	return &Classifier{W: w, B: b, Pooler: pooler, Dropout: dropout}, nil
}

// ClassifierParams counts the head's parameters.
func ClassifierParams(hidden, labels int64) int64 { return labels*hidden + labels }

// Loss is the mean cross-entropy of the logits, with dropout.
func (c *Classifier) Loss(out model.Output, b *Batch) (*ts.Tensor, error) {
	logits, err := c.Forward(out, true)
	if err != nil {
		return nil, err
	}
	defer tsx.Drop(logits)
	return crossEntropy(logits, b.Target)
}

// crossEntropy is the mean cross-entropy of scores (N, C) against target class indices (N),
// with no class weights. The undefined tensor gotch's binding needs for "no weights" is freed
// here, not left to a finalizer.
func crossEntropy(scores, target *ts.Tensor) (*ts.Tensor, error) {
	none := ts.NewTensor()
	defer tsx.Drop(none)
	return scores.CrossEntropyLoss(target, none, 1, -100, 0, false) // reduction 1 = mean
}

// Predict returns the arg-max label of each row.
func (c *Classifier) Predict(out model.Output, _ *Batch) ([]Guess, error) {
	logits, err := c.Forward(out, false)
	if err != nil {
		return nil, err
	}
	defer tsx.Drop(logits)
	am, err := logits.Argmax([]int64{1}, false, false)
	if err != nil {
		return nil, err
	}
	defer tsx.Drop(am)
	labels, err := ints(am)
	if err != nil {
		return nil, err
	}
	var gs []Guess
	for _, p := range labels {
		gs = append(gs, Guess{{Label: int(p)}})
	}
	return gs, nil
}

// Forward returns (B, n) logits, with dropout when train.
func (c *Classifier) Forward(out model.Output, train bool) (*ts.Tensor, error) {
	var x *ts.Tensor
	var err error
	if c.Pooler {
		if out.Pooled == nil {
			// RoFormer has no pooler: transformers' RoFormer heads read [CLS].
			return nil, fmt.Errorf("classifier: the encoder has no pooler output (RoFormer has none); read [CLS] instead (pooler: false)")
		}
		x, err = out.Pooled.ShallowClone()
	} else {
		x, err = out.Hidden.Select(1, 0, false) // (B, H) at [CLS]
	}
	if err != nil {
		return nil, err
	}
	if train && c.Dropout > 0 {
		y, err := ts.Dropout(x, c.Dropout, true)
		tsx.Drop(x)
		if err != nil {
			return nil, err
		}
		x = y
	}
	defer tsx.Drop(x)
	wt, err := c.W.T(false)
	if err != nil {
		return nil, err
	}
	defer tsx.Drop(wt)
	logits, err := x.Matmul(wt, false)
	if err != nil {
		return nil, err
	}
	if err := tsx.Add(logits, c.B); err != nil {
		tsx.Drop(logits)
		return nil, err
	}
	return logits, nil
}
