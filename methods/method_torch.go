//go:build cgo

package methods

import (
	"fmt"

	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
	"gopkg.in/yaml.v3"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

// Method is one configured tuning method that can attach itself to the encoder.
type Method interface {
	Spec
	// Attach creates the method's variables under p and hooks them into enc. It is called after
	// the encoder is built and before weights are loaded; p is outside the encoder's namespace
	// ("bert.", "nezha.", "roformer.").
	Attach(p *nn.Path, enc *model.Encoder) error
}

// New builds the named method from a YAML options node (nil or empty: defaults).
func New(name string, opts *yaml.Node) (Method, error) {
	s, err := NewSpec(name, opts)
	if err != nil {
		return nil, err
	}
	m, ok := s.(Method)
	if !ok {
		return nil, fmt.Errorf("method %s: %T cannot attach to the encoder", name, s)
	}
	return m, nil
}

// FromSettings builds the named method from key=value strings (the CLI's --set).
func FromSettings(name string, kv []string) (Method, error) {
	opts, err := SettingsNode(kv)
	if err != nil {
		return nil, err
	}
	return New(name, opts)
}

// linear is torch's linear, x·wᵀ + b, with no bias when b is nil: gotch's ts.Linear
// dereferences its bias, so LoRA's bias-free maps could not use it.
func linear(x, w, b *ts.Tensor) (*ts.Tensor, error) {
	var bh libtch.Ctensor
	if b != nil {
		bh = tsx.Handle(b)
	}
	xh, wh := tsx.Handle(x), tsx.Handle(w)
	return tsx.New(func(out *libtch.Ctensor) { libtch.AtgLinear(out, xh, wh, bh) })
}
