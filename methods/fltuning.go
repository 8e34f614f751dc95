package methods

import (
	"errors"
	"fmt"
	"slices"

	"github.com/clue-bench/clue-bench/model"
)

func init() {
	Register("fl-tuning", "FL-tuning", "FL-tuning: extra FFN units in each layer train, the encoder stays frozen", newFLTuning)
}

// FLTuningOptions are fl-tuning's options.
type FLTuningOptions struct {
	// Units is k, the number of extra FFN hidden units per layer (the authors used 160).
	Units int64 `yaml:"units" json:"units"`
	// Layers lists the 0-based layers that get a branch, sorted; empty means every layer.
	Layers []int64 `yaml:"layers,omitempty" json:"layers,omitempty"`
	// Budget solves units for this share of fine-tuning's trainable parameters.
	Budget float64 `yaml:"budget,omitempty" json:"budget,omitempty"`
}

// FLTuning adds a second FFN branch to selected layers: x (B, T, H) → Linear(H, k) → the model's
// activation → Linear(k, H), summed with the frozen FFN output before its dropout, residual add
// and LayerNorm. The sum equals one FFN widened from I to I+k hidden units whose extra output
// bias b2′ adds to the original one. Only the branches train.
type FLTuning struct {
	opts FLTuningOptions

	params paramSet
	// branch is what Attach hooked into the encoder, a *flBranch (fltuning_torch.go); nil
	// before. It is typed loosely so that this file builds without libtorch.
	branch any
}

func newFLTuning(decode Decode) (Spec, error) {
	o := FLTuningOptions{Units: 160}
	if err := decode(&o); err != nil {
		return nil, fmt.Errorf("fl-tuning options: %w", err)
	}
	if o.Units < 1 {
		return nil, fmt.Errorf("fl-tuning options: units must be at least 1, got %d", o.Units)
	}
	if err := checkBudget("fl-tuning", o.Budget); err != nil {
		return nil, err
	}
	if o.Layers != nil && len(o.Layers) == 0 {
		return nil, errors.New("fl-tuning options: layers is an empty list; leave it out to use every layer")
	}
	o.Layers = slices.Clone(o.Layers)
	slices.Sort(o.Layers)
	for i, l := range o.Layers {
		if l < 0 {
			return nil, fmt.Errorf("fl-tuning options: layer index %d is negative", l)
		}
		if i > 0 && o.Layers[i-1] == l {
			return nil, fmt.Errorf("fl-tuning options: layer %d is listed twice", l)
		}
	}
	return &FLTuning{opts: o}, nil
}

// Name implements Spec.
func (*FLTuning) Name() string { return "fl-tuning" }

// Options implements Spec.
func (m *FLTuning) Options() any { return m.opts }

// selected returns the layers that get a branch under cfg, or an error naming an index that
// does not exist.
func (m *FLTuning) selected(cfg model.Config) ([]int64, error) {
	if len(m.opts.Layers) == 0 {
		all := make([]int64, cfg.NumHiddenLayers)
		for i := range all {
			all[i] = int64(i)
		}
		return all, nil
	}
	for _, l := range m.opts.Layers {
		if l >= cfg.NumHiddenLayers {
			return nil, fmt.Errorf("layer index %d is out of range: the model has %d layers (0…%d)",
				l, cfg.NumHiddenLayers, cfg.NumHiddenLayers-1)
		}
	}
	return m.opts.Layers, nil
}

// check implements the optional check behind Check.
func (m *FLTuning) check(cfg model.Config) error {
	_, err := m.selected(cfg)
	return err
}

// Trains implements Spec: exactly the branch variables made by Attach.
func (m *FLTuning) Trains(name string) bool { return m.params.has(name) }

// Count implements Spec. Indices beyond the config's layers are not counted (Attach rejects
// them).
func (m *FLTuning) Count(cfg model.Config) (added, trainableBackbone int64) {
	k, _ := sizeUnder(m, cfg)
	return m.countAt(cfg, k)
}

func (m *FLTuning) countAt(cfg model.Config, k int64) (int64, int64) {
	n := int64(len(m.opts.Layers))
	if n == 0 {
		n = cfg.NumHiddenLayers
	} else {
		n = 0
		for _, l := range m.opts.Layers {
			if l < cfg.NumHiddenLayers {
				n++
			}
		}
	}
	h := cfg.HiddenSize
	perLayer := h*k + k + k*h + h
	return n * perLayer, n * perLayer
}

func (*FLTuning) knob() string               { return "units" }
func (m *FLTuning) budget() float64          { return m.opts.Budget }
func (m *FLTuning) size() int64              { return m.opts.Units }
func (*FLTuning) maxSize(model.Config) int64 { return 0 }
