//go:build cgo

package methods

import (
	"fmt"

	"github.com/sugarme/gotch/nn"

	"github.com/clue-bench/clue-bench/model"
)

var _ Method = (*FineTuning)(nil)

// Attach implements Method: there is nothing to create or hook in.
func (*FineTuning) Attach(p *nn.Path, enc *model.Encoder) error {
	if enc == nil {
		return fmt.Errorf("fine-tuning: no encoder")
	}
	return checkPath(p)
}
