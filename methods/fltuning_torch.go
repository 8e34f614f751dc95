//go:build cgo

package methods

import (
	"fmt"
	"strconv"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

var _ Method = (*FLTuning)(nil)

// flKernelStd is the TruncatedNormal std of the branch kernels, the authors' choice whatever
// the backbone's initializer_range.
const flKernelStd = 0.02

// Attach implements Method. Variables, in transformers' (out, in) layout:
// p.layer.N.intermediate.{weight (k, H), bias (k)} and p.layer.N.output.{weight (H, k), bias (H)}.
func (m *FLTuning) Attach(p *nn.Path, enc *model.Encoder) error {
	if err := readyToAttach("fl-tuning", p, enc, m.branch != nil); err != nil {
		return err
	}
	cfg := enc.Cfg
	layers, err := m.selected(cfg)
	if err != nil {
		return fmt.Errorf("fl-tuning: %w", err)
	}
	act, err := model.CheckedActivation(cfg.HiddenAct)
	if err != nil {
		return fmt.Errorf("fl-tuning: %w", err)
	}
	k, _ := sizeUnder(m, cfg)
	h := cfg.HiddenSize
	b := &flBranch{act: act, units: map[int]flUnits{}}
	for _, l := range layers {
		n := strconv.FormatInt(l, 10)
		var u flUnits
		steps := []struct {
			dst  **ts.Tensor
			sub  []string
			name string
			dims []int64
			std  float64
		}{
			{&u.w1, []string{"layer", n, "intermediate"}, "weight", []int64{k, h}, flKernelStd},
			{&u.b1, []string{"layer", n, "intermediate"}, "bias", []int64{k}, 0},
			{&u.w2, []string{"layer", n, "output"}, "weight", []int64{h, k}, flKernelStd},
			{&u.b2, []string{"layer", n, "output"}, "bias", []int64{h}, 0},
		}
		for _, s := range steps {
			if *s.dst, err = m.params.add(p, s.sub, s.name, s.dims, s.std); err != nil {
				return fmt.Errorf("fl-tuning: %w", err)
			}
		}
		b.units[int(l)] = u
	}
	m.branch = b
	if err := enc.SetLinearHook(model.SiteFFNOut, b); err != nil {
		return fmt.Errorf("fl-tuning: %w", err)
	}
	return nil
}

// flUnits is one layer's branch.
type flUnits struct {
	w1, b1 *ts.Tensor // (k, H), (k)
	w2, b2 *ts.Tensor // (H, k), (H)
}

// flBranch is a branch parallel to the whole FFN, hooked in at its output map: it reads the
// FFN input and adds to the frozen FFN output.
type flBranch struct {
	act   func(*ts.Tensor) (*ts.Tensor, error)
	units map[int]flUnits
}

// Linear implements model.LinearHook: y + act(x·W1′ᵀ + b1′)·W2′ᵀ + b2′, where x is the FFN
// input (B, T, H) and y the frozen FFN output; nil (y unchanged) for a layer without a branch.
func (b *flBranch) Linear(c *model.LinearCall) (*ts.Tensor, error) {
	layer := c.Layer
	u, ok := b.units[layer]
	if !ok {
		return nil, nil
	}
	x, err := c.BlockInput()
	if err != nil {
		return nil, fmt.Errorf("fl-tuning layer %d: %w", layer, err)
	}
	var s tsx.Scope
	defer s.Drop()
	hidden, err := s.Track(linear(x, u.w1, u.b1)) // (B, T, k)
	if err != nil {
		return nil, fmt.Errorf("fl-tuning layer %d: %w", layer, err)
	}
	if hidden, err = s.Track(b.act(hidden)); err != nil {
		return nil, fmt.Errorf("fl-tuning layer %d: %w", layer, err)
	}
	extra, err := s.Track(linear(hidden, u.w2, u.b2)) // (B, T, H)
	if err != nil {
		return nil, fmt.Errorf("fl-tuning layer %d: %w", layer, err)
	}
	y, err := c.Output()
	if err != nil {
		return nil, fmt.Errorf("fl-tuning layer %d: %w", layer, err)
	}
	out, err := y.Add(extra, false)
	if err != nil {
		return nil, fmt.Errorf("fl-tuning layer %d: %w", layer, torchErr(err))
	}
	return out, nil
}
