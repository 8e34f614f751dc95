package methods

import (
	"fmt"
	"strings"

	"github.com/sugarme/gotch/nn"

	"github.com/clue-bench/clue-bench/model"
)

func init() {
	Register("fine-tuning", "full fine-tuning: every encoder parameter trains", newFineTuning)
}

// FineTuning trains the whole encoder (embeddings, layers, pooler) and adds nothing.
type FineTuning struct{}

var _ Method = (*FineTuning)(nil)

// FineTuningOptions is empty: fine-tuning has no options, and any key is an error.
type FineTuningOptions struct{}

func newFineTuning(decode Decode) (Method, error) {
	var o FineTuningOptions
	if err := decode(&o); err != nil {
		return nil, fmt.Errorf("fine-tuning options: %w", err)
	}
	return &FineTuning{}, nil
}

// Name implements Method.
func (*FineTuning) Name() string { return "fine-tuning" }

// Options implements Method.
func (*FineTuning) Options() any { return FineTuningOptions{} }

// Attach implements Method: there is nothing to create or hook in.
func (*FineTuning) Attach(p *nn.Path, enc *model.Encoder) error {
	if enc == nil {
		return fmt.Errorf("fine-tuning: no encoder")
	}
	return checkPath(p)
}

// Trains implements Method: every encoder variable trains.
func (*FineTuning) Trains(name string) bool { return strings.HasPrefix(name, "bert.") }

// Count implements Method.
func (*FineTuning) Count(cfg model.Config) (added, trainableBackbone int64) {
	total, _ := EncoderParams(cfg)
	return 0, total
}
