//go:build cgo

package methods

import (
	"fmt"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

var _ Method = (*PTuningV2)(nil)

// prefixStd is the TruncatedNormal std of the prefix table (and projection kernels).
const prefixStd = 0.02

// Attach implements Method. Variables: p.prefix_encoder.embedding.weight, (P, 2·L·H); with
// projection (P, H) plus p.prefix_encoder.transform.{0,2}.{weight,bias}, Linear layers in
// transformers' (out, in) layout. Weights are TruncatedNormal(0.02), biases zero.
func (m *PTuningV2) Attach(p *nn.Path, enc *model.Encoder) error {
	if err := readyToAttach(m.name, p, enc, m.prefix != nil); err != nil {
		return err
	}
	cfg := enc.Cfg
	if err := m.check(cfg); err != nil {
		return fmt.Errorf("%s: %w", m.name, err)
	}
	plen, _ := sizeUnder(m, cfg)
	h, width := cfg.HiddenSize, 2*cfg.NumHiddenLayers*cfg.HiddenSize
	pe := &prefixEncoder{name: m.name, cfg: cfg, plen: plen, shift: m.opts.Positions == PositionsShifted, dropout: m.opts.Dropout}
	if pe.dropout < 0 {
		pe.dropout = cfg.HiddenDropoutProb
	}
	var err error
	if !m.opts.Projection {
		if pe.table, err = m.params.add(p, []string{"prefix_encoder", "embedding"}, "weight", []int64{plen, width}, prefixStd); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
	} else {
		ph := m.opts.ProjectionHidden
		pr := &projection{}
		steps := []struct {
			dst  **ts.Tensor
			sub  []string
			name string
			dims []int64
			std  float64
		}{
			{&pr.emb, []string{"prefix_encoder", "embedding"}, "weight", []int64{plen, h}, prefixStd},
			{&pr.w1, []string{"prefix_encoder", "transform", "0"}, "weight", []int64{ph, h}, prefixStd},
			{&pr.b1, []string{"prefix_encoder", "transform", "0"}, "bias", []int64{ph}, 0},
			{&pr.w2, []string{"prefix_encoder", "transform", "2"}, "weight", []int64{width, ph}, prefixStd},
			{&pr.b2, []string{"prefix_encoder", "transform", "2"}, "bias", []int64{width}, 0},
		}
		for _, s := range steps {
			if *s.dst, err = m.params.add(p, s.sub, s.name, s.dims, s.std); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
		}
		pe.proj = pr
	}
	m.prefix = pe
	enc.SetKVPrefix(pe)
	return nil
}

// projection is the reparameterisation MLP's variables.
type projection struct {
	emb    *ts.Tensor // (P, H)
	w1, b1 *ts.Tensor // (ph, H), (ph)
	w2, b2 *ts.Tensor // (2·L·H, ph), (2·L·H)
}

// prefixEncoder implements model.KVPrefix.
type prefixEncoder struct {
	name    string // the method's, for errors
	cfg     model.Config
	plen    int64
	shift   bool
	dropout float64
	table   *ts.Tensor // (P, 2·L·H) variable, without projection
	proj    *projection

	// cached is the projected table for the forward pass under way: computed when layer 0 asks
	// (the encoder asks layer by layer, in order) and dropped after the last layer, so the MLP
	// runs once per forward rather than once per layer.
	cached *ts.Tensor
}

// Len implements model.KVPrefix.
func (pe *prefixEncoder) Len() int64 { return pe.plen }

// ShiftPositions implements model.KVPrefix.
func (pe *prefixEncoder) ShiftPositions() bool { return pe.shift }

// fullTable returns the (P, 2·L·H) prefix table for this forward pass; the caller must not
// drop it.
func (pe *prefixEncoder) fullTable(layer int) (*ts.Tensor, error) {
	if pe.proj == nil {
		return pe.table, nil
	}
	if layer != 0 && pe.cached != nil {
		return pe.cached, nil
	}
	pe.dropCache()
	var s tsx.Scope
	defer s.Drop()
	pr := pe.proj
	x, err := s.Track(linear(pr.emb, pr.w1, pr.b1)) // (P, ph)
	if err != nil {
		return nil, err
	}
	if x, err = s.Track(x.Tanh(false)); err != nil {
		return nil, err
	}
	out, err := linear(x, pr.w2, pr.b2) // (P, 2·L·H)
	if err != nil {
		return nil, torchErr(err)
	}
	pe.cached = out
	return out, nil
}

func (pe *prefixEncoder) dropCache() {
	if pe.cached != nil {
		tsx.Drop(pe.cached)
		pe.cached = nil
	}
}

// KV implements model.KVPrefix: layer's keys and values, each (B, heads, P, headDim). In training
// dropout is drawn independently for every example, as THUDM's code draws it on the prefix
// expanded to the batch.
func (pe *prefixEncoder) KV(layer int, batch int64, train bool) (k, v *ts.Tensor, err error) {
	c := pe.cfg
	if layer < 0 || int64(layer) >= c.NumHiddenLayers {
		return nil, nil, fmt.Errorf("%s: layer %d out of range", pe.name, layer)
	}
	table, err := pe.fullTable(layer)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: prefix projection: %w", pe.name, err)
	}
	if int64(layer) == c.NumHiddenLayers-1 {
		// Views taken below keep the storage alive; the handle itself is no longer needed.
		defer pe.dropCache()
	}
	var s tsx.Scope
	defer s.Drop()
	h, nh, d := c.HiddenSize, c.NumAttentionHeads, c.HeadDim()
	kv, err := s.Track(table.Narrow(1, 2*int64(layer)*h, 2*h, false)) // (P, 2H)
	if err != nil {
		return nil, nil, fmt.Errorf("%s layer %d: %w", pe.name, layer, err)
	}
	steps := []func(*ts.Tensor) (*ts.Tensor, error){
		func(t *ts.Tensor) (*ts.Tensor, error) { return t.Reshape([]int64{pe.plen, 2, nh, d}, false) },
		func(t *ts.Tensor) (*ts.Tensor, error) { return t.Permute([]int64{1, 2, 0, 3}, false) }, // (2, heads, P, d)
		func(t *ts.Tensor) (*ts.Tensor, error) { return t.Unsqueeze(1, false) },                 // (2, 1, heads, P, d)
		func(t *ts.Tensor) (*ts.Tensor, error) {
			return t.Expand([]int64{2, batch, nh, pe.plen, d}, false, false)
		},
	}
	for _, step := range steps {
		if kv, err = s.Track(step(kv)); err != nil {
			return nil, nil, fmt.Errorf("%s layer %d: %w", pe.name, layer, err)
		}
	}
	if train && pe.dropout > 0 {
		if kv, err = s.Track(model.Dropout(kv, pe.dropout)); err != nil {
			return nil, nil, fmt.Errorf("%s layer %d: dropout: %w", pe.name, layer, err)
		}
	}
	if k, err = kv.Select(0, 0, false); err != nil {
		return nil, nil, fmt.Errorf("%s layer %d: %w", pe.name, layer, torchErr(err))
	}
	if v, err = kv.Select(0, 1, false); err != nil {
		tsx.Drop(k)
		return nil, nil, fmt.Errorf("%s layer %d: %w", pe.name, layer, torchErr(err))
	}
	return k, v, nil
}
