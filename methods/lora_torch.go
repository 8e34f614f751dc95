//go:build cgo

package methods

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

var _ Method = (*LoRA)(nil)

// Attach implements Method. Variables, in PEFT's layout: p.layer.N.<map>.lora_A.weight (r, in)
// and p.layer.N.<map>.lora_B.weight (out, r), for every layer N and target map.
func (m *LoRA) Attach(p *nn.Path, enc *model.Encoder) error {
	if err := readyToAttach("lora", p, enc, m.hooks != nil); err != nil {
		return err
	}
	cfg := enc.Cfg
	r, _ := sizeUnder(m, cfg)
	sites, err := siteList("lora", m.opts.TargetModules)
	if err != nil {
		return err
	}
	scaling := m.opts.Alpha / float64(r)
	if m.opts.UseRSLoRA {
		scaling = m.opts.Alpha / math.Sqrt(float64(r))
	}
	hooks := map[model.Site]*loraHook{}
	for l := int64(0); l < cfg.NumHiddenLayers; l++ {
		n := strconv.FormatInt(l, 10)
		for _, s := range sites {
			in, out := siteDims(cfg, s)
			h := hooks[s]
			if h == nil {
				h = &loraHook{scaling: scaling, dropout: m.opts.Dropout}
				hooks[s] = h
			}
			a, err := m.params.addInit(p, sitePath(n, s, "lora_A"), "weight", []int64{r, in}, uniformInit(1/math.Sqrt(float64(in))))
			if err != nil {
				return fmt.Errorf("lora: %w", err)
			}
			b, err := m.params.add(p, sitePath(n, s, "lora_B"), "weight", []int64{out, r}, 0)
			if err != nil {
				return fmt.Errorf("lora: %w", err)
			}
			h.a = append(h.a, a)
			h.b = append(h.b, b)
		}
	}
	for s, h := range hooks {
		if err := enc.SetLinearHook(s, h); err != nil {
			return fmt.Errorf("lora: %w", err)
		}
	}
	m.hooks = hooks
	return nil
}

// loraHook is one target map's updates, by layer.
type loraHook struct {
	a, b    []*ts.Tensor // (r, in), (out, r) per layer
	scaling float64
	dropout float64
}

// Linear implements model.LinearHook: y + (dropout(x)·Aᵀ·Bᵀ)·scaling, PEFT's order of
// operations.
func (h *loraHook) Linear(c *model.LinearCall) (*ts.Tensor, error) {
	x, err := c.Input()
	if err != nil {
		return nil, err
	}
	var s tsx.Scope
	defer s.Drop()
	if c.Train && h.dropout > 0 {
		if x, err = s.Track(model.Dropout(x, h.dropout)); err != nil {
			return nil, fmt.Errorf("lora: dropout: %w", err)
		}
	}
	down, err := s.Track(linear(x, h.a[c.Layer], nil))
	if err != nil {
		return nil, fmt.Errorf("lora: %w", err)
	}
	up, err := s.Track(linear(down, h.b[c.Layer], nil))
	if err != nil {
		return nil, fmt.Errorf("lora: %w", err)
	}
	if up, err = s.Track(tsx.Scaled(up, h.scaling)); err != nil {
		return nil, fmt.Errorf("lora: %w", err)
	}
	y, err := c.Output()
	if err != nil {
		return nil, err
	}
	out, err := y.Add(up, false)
	return out, torchErr(err)
}

// sitePath is the path layer.N.<map>.<rest…>, the map's dotted name split into path elements
// (gotch path elements cannot hold a dot).
func sitePath(layer string, s model.Site, rest ...string) []string {
	out := append([]string{"layer", layer}, strings.Split(s.String(), ".")...)
	return append(out, rest...)
}
