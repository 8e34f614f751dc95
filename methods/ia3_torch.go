//go:build cgo

package methods

import (
	"fmt"
	"strconv"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/model"
)

var _ Method = (*IA3)(nil)

// Attach implements Method. Variables: p.layer.N.{key,value}.ia3_l (H) and
// p.layer.N.output.dense.ia3_l (intermediate_size), all ones.
func (m *IA3) Attach(p *nn.Path, enc *model.Encoder) error {
	if err := readyToAttach("ia3", p, enc, m.hooks != nil); err != nil {
		return err
	}
	cfg := enc.Cfg
	h := &ia3Hooks{}
	for l := int64(0); l < cfg.NumHiddenLayers; l++ {
		n := strconv.FormatInt(l, 10)
		steps := []struct {
			dst  *[]*ts.Tensor
			site model.Site
			dim  int64
		}{
			{&h.key, model.SiteKey, cfg.HiddenSize},
			{&h.value, model.SiteValue, cfg.HiddenSize},
			{&h.ff, model.SiteFFNOut, cfg.IntermediateSize},
		}
		for _, s := range steps {
			v, err := m.params.addInit(p, sitePath(n, s.site), "ia3_l", []int64{s.dim}, constInit(1))
			if err != nil {
				return fmt.Errorf("ia3: %w", err)
			}
			*s.dst = append(*s.dst, v)
		}
	}
	for _, s := range []struct {
		site model.Site
		vs   []*ts.Tensor
	}{{model.SiteKey, h.key}, {model.SiteValue, h.value}} {
		if err := enc.SetLinearHook(s.site, ia3Scale(s.vs)); err != nil {
			return fmt.Errorf("ia3: %w", err)
		}
	}
	enc.SetFFNActivationScale(ia3Scale(h.ff))
	m.hooks = h
	return nil
}

// ia3Hooks are the scaling vectors by layer.
type ia3Hooks struct{ key, value, ff []*ts.Tensor }

// ia3Scale is one kind of scaling vector, by layer.
type ia3Scale []*ts.Tensor

// Linear implements model.LinearHook: y ⊙ l.
func (v ia3Scale) Linear(c *model.LinearCall) (*ts.Tensor, error) {
	y, err := c.Output()
	if err != nil {
		return nil, err
	}
	out, err := y.Mul(v[c.Layer], false)
	return out, torchErr(err)
}

// Scale implements model.ActivationScale.
func (v ia3Scale) Scale(layer int) (*ts.Tensor, error) { return v[layer], nil }
