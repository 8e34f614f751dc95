// Package heads holds the task heads that sit on the encoder. A task declares its kind; the
// kind decides the head. Heads always train, whatever the tuning method.
package heads

import (
	"fmt"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

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

// Forward returns (B, n) logits. It does not drop out.
func (c *Classifier) Forward(out model.Output, train bool) (*ts.Tensor, error) {
	var x *ts.Tensor
	var err error
	if c.Pooler {
		x, err = out.Pooled.ShallowClone()
	} else {
		x, err = out.Hidden.Select(1, 0, false) // (B, H) at [CLS]
	}
	if err != nil {
		return nil, err
	}
	if train && c.Dropout > 0 {
		y, err := ts.Dropout(x, c.Dropout, true)
		x.MustDrop()
		if err != nil {
			return nil, err
		}
		x = y
	}
	defer x.MustDrop()
	wt, err := c.W.T(false)
	if err != nil {
		return nil, err
	}
	defer wt.MustDrop()
	logits, err := x.Matmul(wt, false)
	if err != nil {
		return nil, err
	}
	if err := tsx.Add(logits, c.B); err != nil {
		logits.MustDrop()
		return nil, err
	}
	return logits, nil
}
