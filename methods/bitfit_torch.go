//go:build cgo

package methods

import (
	"fmt"

	"github.com/sugarme/gotch/nn"

	"github.com/clue-bench/clue-bench/model"
)

var _ Method = (*BitFit)(nil)

// Attach implements Method: BitFit adds and hooks in nothing; Trains picks the biases.
func (*BitFit) Attach(p *nn.Path, enc *model.Encoder) error {
	if enc == nil {
		return fmt.Errorf("bitfit: no encoder")
	}
	if err := checkPath(p); err != nil {
		return fmt.Errorf("bitfit: %w", err)
	}
	return nil
}
