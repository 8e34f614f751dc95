package methods

import (
	"fmt"

	"github.com/clue-bench/clue-bench/model"
)

func init() {
	Register("adapter", "Adapter", "Houlsby adapters: bottleneck MLPs after each layer's attention and FFN train, the encoder stays frozen", newAdapter)
	Register("parallel-adapter", "Parallel adapter", "parallel adapter (He et al.): a scaled bottleneck MLP beside each layer's FFN trains, the encoder stays frozen", newParallelAdapter)
}

// Adapter activations.
var adapterActivations = []string{"relu", "gelu", "swish", "tanh"}

// AdapterOptions are adapter's options.
type AdapterOptions struct {
	// Bottleneck is m, the adapter's hidden width.
	Bottleneck int64 `yaml:"bottleneck" json:"bottleneck"`
	// Activation between the down and up projections: relu, gelu, swish or tanh.
	Activation string `yaml:"activation" json:"activation"`
	// Budget solves bottleneck for this share of fine-tuning's trainable parameters.
	Budget float64 `yaml:"budget,omitempty" json:"budget,omitempty"`
}

// Adapter (Houlsby et al.) puts a bottleneck MLP, h + up(act(down(h))), on the output of each
// layer's attention block and of its FFN block, after the block's output dropout and before
// its residual add and LayerNorm (the placement of the adapters library's Houlsby config).
// Weights start TruncatedNormal(0.02) and biases zero, so each adapter starts near the
// identity. Only the adapters train; as in Houlsby et al.'s main setting the LayerNorms stay
// frozen here.
type Adapter struct {
	opts   AdapterOptions
	params paramSet
	hooks  any // *adapterHooks (adapter_torch.go) once attached
}

func newAdapter(decode Decode) (Spec, error) {
	o := AdapterOptions{Bottleneck: 64, Activation: "swish"}
	if err := decode(&o); err != nil {
		return nil, fmt.Errorf("adapter options: %w", err)
	}
	if err := checkBottleneck("adapter", o.Bottleneck, o.Activation, o.Budget); err != nil {
		return nil, err
	}
	return &Adapter{opts: o}, nil
}

func checkBottleneck(name string, m int64, act string, budget float64) error {
	if m < 1 {
		return fmt.Errorf("%s options: bottleneck must be at least 1, got %d", name, m)
	}
	ok := false
	for _, a := range adapterActivations {
		ok = ok || a == act
	}
	if !ok {
		return fmt.Errorf("%s options: activation must be one of %v, got %q", name, adapterActivations, act)
	}
	return checkBudget(name, budget)
}

// Name implements Spec.
func (*Adapter) Name() string { return "adapter" }

// Options implements Spec.
func (m *Adapter) Options() any { return m.opts }

// Trains implements Spec: exactly the adapter variables made by Attach.
func (m *Adapter) Trains(name string) bool { return m.params.has(name) }

// Count implements Spec.
func (m *Adapter) Count(cfg model.Config) (added, trainableBackbone int64) {
	n, _ := sizeUnder(m, cfg)
	return m.countAt(cfg, n)
}

func (m *Adapter) countAt(cfg model.Config, b int64) (int64, int64) {
	h := cfg.HiddenSize
	n := cfg.NumHiddenLayers * 2 * (h*b + b + b*h + h)
	return n, n
}

func (*Adapter) knob() string               { return "bottleneck" }
func (m *Adapter) budget() float64          { return m.opts.Budget }
func (m *Adapter) size() int64              { return m.opts.Bottleneck }
func (*Adapter) maxSize(model.Config) int64 { return 0 }

// ParallelAdapterOptions are parallel-adapter's options.
type ParallelAdapterOptions struct {
	// Bottleneck is m, the adapter's hidden width (He et al. use 512 on the FFN).
	Bottleneck int64 `yaml:"bottleneck" json:"bottleneck"`
	// Scaling s multiplies the adapter's output (He et al.: 4).
	Scaling float64 `yaml:"scaling" json:"scaling"`
	// Activation between the down and up projections: relu, gelu, swish or tanh.
	Activation string `yaml:"activation" json:"activation"`
	// Budget solves bottleneck for this share of fine-tuning's trainable parameters.
	Budget float64 `yaml:"budget,omitempty" json:"budget,omitempty"`
}

// ParallelAdapter (He et al., "Towards a unified view of parameter-efficient transfer
// learning") adds s·up(act(down(x))) beside each layer's FFN: x is the FFN input, and the
// result joins the FFN output before its dropout, residual add and LayerNorm. down starts as
// nn.Linear's default (U(±1/√H)), up and both biases as zeros (their LoRA-style init), so
// training starts from the frozen model. Only the adapters train.
type ParallelAdapter struct {
	opts   ParallelAdapterOptions
	params paramSet
	hook   any // *parallelAdapter (adapter_torch.go) once attached
}

func newParallelAdapter(decode Decode) (Spec, error) {
	o := ParallelAdapterOptions{Bottleneck: 512, Scaling: 4, Activation: "relu"}
	if err := decode(&o); err != nil {
		return nil, fmt.Errorf("parallel-adapter options: %w", err)
	}
	if err := checkBottleneck("parallel-adapter", o.Bottleneck, o.Activation, o.Budget); err != nil {
		return nil, err
	}
	if o.Scaling <= 0 {
		return nil, fmt.Errorf("parallel-adapter options: scaling must be positive, got %g", o.Scaling)
	}
	return &ParallelAdapter{opts: o}, nil
}

// Name implements Spec.
func (*ParallelAdapter) Name() string { return "parallel-adapter" }

// Options implements Spec.
func (m *ParallelAdapter) Options() any { return m.opts }

// Trains implements Spec: exactly the adapter variables made by Attach.
func (m *ParallelAdapter) Trains(name string) bool { return m.params.has(name) }

// Count implements Spec.
func (m *ParallelAdapter) Count(cfg model.Config) (added, trainableBackbone int64) {
	n, _ := sizeUnder(m, cfg)
	return m.countAt(cfg, n)
}

func (m *ParallelAdapter) countAt(cfg model.Config, b int64) (int64, int64) {
	h := cfg.HiddenSize
	n := cfg.NumHiddenLayers * (h*b + b + b*h + h)
	return n, n
}

func (*ParallelAdapter) knob() string               { return "bottleneck" }
func (m *ParallelAdapter) budget() float64          { return m.opts.Budget }
func (m *ParallelAdapter) size() int64              { return m.opts.Bottleneck }
func (*ParallelAdapter) maxSize(model.Config) int64 { return 0 }
