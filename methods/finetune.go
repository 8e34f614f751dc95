package methods

import (
	"fmt"

	"github.com/clue-bench/clue-bench/model"
)

func init() {
	Register("fine-tuning", "Fine-tuning", "full fine-tuning: every encoder parameter trains", newFineTuning)
}

// FineTuning trains the whole encoder (embeddings, layers, pooler) and adds nothing.
type FineTuning struct{}

// FineTuningOptions is empty: fine-tuning has no options, and any key is an error.
type FineTuningOptions struct{}

func newFineTuning(decode Decode) (Spec, error) {
	var o FineTuningOptions
	if err := decode(&o); err != nil {
		return nil, fmt.Errorf("fine-tuning options: %w", err)
	}
	return &FineTuning{}, nil
}

// Name implements Spec.
func (*FineTuning) Name() string { return "fine-tuning" }

// Options implements Spec.
func (*FineTuning) Options() any { return FineTuningOptions{} }

// Trains implements Spec: every encoder variable trains.
func (*FineTuning) Trains(name string) bool { return model.IsEncoderVar(name) }

// Count implements Spec.
func (*FineTuning) Count(cfg model.Config) (added, trainableBackbone int64) {
	total, _ := EncoderParams(cfg)
	return 0, total
}
