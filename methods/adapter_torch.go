//go:build cgo

package methods

import (
	"fmt"
	"math"
	"strconv"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

var (
	_ Method = (*Adapter)(nil)
	_ Method = (*ParallelAdapter)(nil)
)

// adapterStd is the TruncatedNormal std of Houlsby adapters' weights: small, so that each
// adapter starts near the identity.
const adapterStd = 0.02

// bottleneckMLP is up(act(down(x))) with transformers' (out, in) layout.
type bottleneckMLP struct {
	downW, downB, upW, upB *ts.Tensor
}

// adapterAct is the activation function by option name.
func adapterAct(name string) (func(*ts.Tensor) (*ts.Tensor, error), error) {
	switch name {
	case "relu":
		return func(x *ts.Tensor) (*ts.Tensor, error) { return x.Relu(false) }, nil
	case "gelu":
		return func(x *ts.Tensor) (*ts.Tensor, error) { return x.Gelu("none", false) }, nil
	case "swish":
		return func(x *ts.Tensor) (*ts.Tensor, error) { return x.Silu(false) }, nil
	case "tanh":
		return func(x *ts.Tensor) (*ts.Tensor, error) { return x.Tanh(false) }, nil
	}
	return nil, fmt.Errorf("no adapter activation %q", name)
}

// forward is up(act(down(x))), a fresh tensor.
func (b *bottleneckMLP) forward(x *ts.Tensor, act func(*ts.Tensor) (*ts.Tensor, error)) (*ts.Tensor, error) {
	var s tsx.Scope
	defer s.Drop()
	h, err := s.Track(linear(x, b.downW, b.downB))
	if err != nil {
		return nil, err
	}
	if h, err = s.Track(act(h)); err != nil {
		return nil, err
	}
	out, err := linear(h, b.upW, b.upB)
	return out, torchErr(err)
}

// addMLP makes a bottleneck MLP's variables under p.sub…: down.{weight (m, H), bias (m)},
// up.{weight (H, m), bias (H)}. downInit and upInit make the weights; biases start zero.
func (ps *paramSet) addMLP(p *nn.Path, sub []string, h, m int64, downInit, upInit func([]int64, gotch.Device) (*ts.Tensor, error)) (*bottleneckMLP, error) {
	var b bottleneckMLP
	var err error
	at := func(last string) []string { return append(append([]string{}, sub...), last) }
	if b.downW, err = ps.addInit(p, at("down"), "weight", []int64{m, h}, downInit); err != nil {
		return nil, err
	}
	if b.downB, err = ps.add(p, at("down"), "bias", []int64{m}, 0); err != nil {
		return nil, err
	}
	if b.upW, err = ps.addInit(p, at("up"), "weight", []int64{h, m}, upInit); err != nil {
		return nil, err
	}
	if b.upB, err = ps.add(p, at("up"), "bias", []int64{h}, 0); err != nil {
		return nil, err
	}
	return &b, nil
}

// Attach implements Method. Variables: p.layer.N.{attention,output}.{down,up}.{weight,bias}.
func (m *Adapter) Attach(p *nn.Path, enc *model.Encoder) error {
	if err := readyToAttach("adapter", p, enc, m.hooks != nil); err != nil {
		return err
	}
	cfg := enc.Cfg
	act, err := adapterAct(m.opts.Activation)
	if err != nil {
		return fmt.Errorf("adapter: %w", err)
	}
	size, _ := sizeUnder(m, cfg)
	h := &adapterHooks{act: act}
	tn := func(dims []int64, dev gotch.Device) (*ts.Tensor, error) {
		return truncNormalDefault(dims, adapterStd, dev)
	}
	for l := int64(0); l < cfg.NumHiddenLayers; l++ {
		n := strconv.FormatInt(l, 10)
		var pair [2]*bottleneckMLP
		for i, block := range []string{"attention", "output"} {
			if pair[i], err = m.params.addMLP(p, []string{"layer", n, block}, cfg.HiddenSize, size, tn, tn); err != nil {
				return fmt.Errorf("adapter: %w", err)
			}
		}
		h.layers = append(h.layers, pair)
	}
	enc.SetSublayerHook(h)
	m.hooks = h
	return nil
}

// adapterHooks are Houlsby adapters by layer: [0] after attention, [1] after the FFN.
type adapterHooks struct {
	act    func(*ts.Tensor) (*ts.Tensor, error)
	layers [][2]*bottleneckMLP
}

// Sublayer implements model.SublayerHook: out + up(act(down(out))).
func (h *adapterHooks) Sublayer(layer int, block model.Block, out *ts.Tensor, train bool) (*ts.Tensor, error) {
	a := h.layers[layer][0]
	if block == model.BlockFFN {
		a = h.layers[layer][1]
	}
	d, err := a.forward(out, h.act)
	if err != nil {
		return nil, fmt.Errorf("adapter layer %d: %w", layer, err)
	}
	defer tsx.Drop(d)
	r, err := out.Add(d, false)
	return r, torchErr(err)
}

// Attach implements Method. Variables: p.layer.N.{down,up}.{weight,bias}.
func (m *ParallelAdapter) Attach(p *nn.Path, enc *model.Encoder) error {
	if err := readyToAttach("parallel-adapter", p, enc, m.hook != nil); err != nil {
		return err
	}
	cfg := enc.Cfg
	act, err := adapterAct(m.opts.Activation)
	if err != nil {
		return fmt.Errorf("parallel-adapter: %w", err)
	}
	size, _ := sizeUnder(m, cfg)
	h := &parallelAdapter{act: act, scaling: m.opts.Scaling}
	for l := int64(0); l < cfg.NumHiddenLayers; l++ {
		n := strconv.FormatInt(l, 10)
		a, err := m.params.addMLP(p, []string{"layer", n}, cfg.HiddenSize, size,
			uniformInit(1/math.Sqrt(float64(cfg.HiddenSize))), constInit(0))
		if err != nil {
			return fmt.Errorf("parallel-adapter: %w", err)
		}
		h.layers = append(h.layers, a)
	}
	if err := enc.SetLinearHook(model.SiteFFNOut, h); err != nil {
		return fmt.Errorf("parallel-adapter: %w", err)
	}
	m.hook = h
	return nil
}

// parallelAdapter is the adapters beside each layer's FFN.
type parallelAdapter struct {
	act     func(*ts.Tensor) (*ts.Tensor, error)
	scaling float64
	layers  []*bottleneckMLP
}

// Linear implements model.LinearHook at the FFN output map: y + s·up(act(down(x))), x the FFN
// input.
func (h *parallelAdapter) Linear(c *model.LinearCall) (*ts.Tensor, error) {
	x, err := c.BlockInput()
	if err != nil {
		return nil, err
	}
	var s tsx.Scope
	defer s.Drop()
	d, err := s.Track(h.layers[c.Layer].forward(x, h.act))
	if err != nil {
		return nil, fmt.Errorf("parallel-adapter layer %d: %w", c.Layer, err)
	}
	if d, err = s.Track(tsx.Scaled(d, h.scaling)); err != nil {
		return nil, fmt.Errorf("parallel-adapter layer %d: %w", c.Layer, err)
	}
	y, err := c.Output()
	if err != nil {
		return nil, err
	}
	out, err := y.Add(d, false)
	return out, torchErr(err)
}
