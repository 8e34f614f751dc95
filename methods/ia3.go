package methods

import (
	"fmt"

	"github.com/clue-bench/clue-bench/model"
)

func init() {
	Register("ia3", "IA3", "IA3: learned scalings of keys, values and the FFN hidden activation train, the encoder stays frozen", newIA3)
}

// IA3Options is empty: IA3 has no options, and any key is an error.
type IA3Options struct{}

// IA3 (Liu et al.; PEFT's IA3 with its BERT defaults, target_modules key, value and
// output.dense with output.dense as the feed-forward module) learns, in every layer, a vector
// l_k (H) that scales the key map's output, l_v (H) the value map's, and l_ff
// (intermediate_size) the FFN hidden activation, i.e. the input of output.dense. All start at
// ones, so training starts from the frozen model. Only the vectors train. (PEFT matches module
// names by suffix, so on BERT its "output.dense" also catches attention.output.dense and scales
// that map's input too; here, as in Liu et al., only the FFN's is scaled.)
type IA3 struct {
	params paramSet
	hooks  any // *ia3Hooks (ia3_torch.go) once attached
}

func newIA3(decode Decode) (Spec, error) {
	var o IA3Options
	if err := decode(&o); err != nil {
		return nil, fmt.Errorf("ia3 options: %w", err)
	}
	return &IA3{}, nil
}

// Name implements Spec.
func (*IA3) Name() string { return "ia3" }

// Options implements Spec.
func (*IA3) Options() any { return IA3Options{} }

// Trains implements Spec: exactly the scaling vectors made by Attach.
func (m *IA3) Trains(name string) bool { return m.params.has(name) }

// Count implements Spec.
func (*IA3) Count(cfg model.Config) (added, trainableBackbone int64) {
	n := cfg.NumHiddenLayers * (2*cfg.HiddenSize + cfg.IntermediateSize)
	return n, n
}
