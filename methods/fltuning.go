package methods

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

func init() {
	Register("fl-tuning", "FL-tuning: extra FFN units in each layer train, the encoder stays frozen", newFLTuning)
}

// FLTuningOptions are fl-tuning's options.
type FLTuningOptions struct {
	// Units is k, the number of extra FFN hidden units per layer (the authors used 160).
	Units int64 `yaml:"units" json:"units"`
	// Layers lists the 0-based layers that get a branch, sorted; empty means every layer.
	Layers []int64 `yaml:"layers,omitempty" json:"layers,omitempty"`
}

// FLTuning adds a second FFN branch to selected layers: x (B, T, H) → Linear(H, k) → the model's
// activation → Linear(k, H), summed with the frozen FFN output before its dropout, residual add
// and LayerNorm. The sum equals one FFN widened from I to I+k hidden units whose extra output
// bias b2′ adds to the original one. Only the branches train.
type FLTuning struct {
	opts FLTuningOptions

	params paramSet
	branch *flBranch
}

var _ Method = (*FLTuning)(nil)

func newFLTuning(decode Decode) (Method, error) {
	o := FLTuningOptions{Units: 160}
	if err := decode(&o); err != nil {
		return nil, fmt.Errorf("fl-tuning options: %w", err)
	}
	if o.Units < 1 {
		return nil, fmt.Errorf("fl-tuning options: units must be at least 1, got %d", o.Units)
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

// Name implements Method.
func (*FLTuning) Name() string { return "fl-tuning" }

// Options implements Method.
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

// flKernelStd is the TruncatedNormal std of the branch kernels, the authors' choice whatever
// the backbone's initializer_range.
const flKernelStd = 0.02

// Attach implements Method. Variables, in transformers' (out, in) layout:
// p.layer.N.intermediate.{weight (k, H), bias (k)} and p.layer.N.output.{weight (H, k), bias (H)}.
func (m *FLTuning) Attach(p *nn.Path, enc *model.Encoder) error {
	if enc == nil {
		return errors.New("fl-tuning: no encoder")
	}
	if m.branch != nil {
		return errors.New("fl-tuning: already attached")
	}
	if err := checkPath(p); err != nil {
		return fmt.Errorf("fl-tuning: %w", err)
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
	h, k := cfg.HiddenSize, m.opts.Units
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
	enc.SetFFNBranch(b)
	return nil
}

// Trains implements Method: exactly the branch variables made by Attach.
func (m *FLTuning) Trains(name string) bool { return m.params.has(name) }

// Count implements Method. Indices beyond the config's layers are not counted (Attach rejects
// them).
func (m *FLTuning) Count(cfg model.Config) (added, trainableBackbone int64) {
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
	h, k := cfg.HiddenSize, m.opts.Units
	perLayer := h*k + k + k*h + h
	return n * perLayer, n * perLayer
}

// flUnits is one layer's branch.
type flUnits struct {
	w1, b1 *ts.Tensor // (k, H), (k)
	w2, b2 *ts.Tensor // (H, k), (H)
}

// flBranch implements model.FFNBranch.
type flBranch struct {
	act   func(*ts.Tensor) (*ts.Tensor, error)
	units map[int]flUnits
}

// Forward maps the FFN input x (B, T, H) to act(x·W1′ᵀ + b1′)·W2′ᵀ + b2′ (B, T, H), or nil for
// a layer without a branch.
func (b *flBranch) Forward(layer int, x *ts.Tensor, train bool) (*ts.Tensor, error) {
	u, ok := b.units[layer]
	if !ok {
		return nil, nil
	}
	var s tsx.Scope
	defer s.Drop()
	hidden, err := s.Track(ts.Linear(x, u.w1, u.b1)) // (B, T, k)
	if err != nil {
		return nil, fmt.Errorf("fl-tuning layer %d: %w", layer, err)
	}
	if hidden, err = s.Track(b.act(hidden)); err != nil {
		return nil, fmt.Errorf("fl-tuning layer %d: %w", layer, err)
	}
	out, err := ts.Linear(hidden, u.w2, u.b2) // (B, T, H)
	if err != nil {
		return nil, fmt.Errorf("fl-tuning layer %d: %w", layer, torchErr(err))
	}
	return out, nil
}
