package methods

import (
	"errors"
	"fmt"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

func init() {
	Register("p-tuning-v2", "P-tuning v2: learned key/value prefixes in every layer train, the encoder stays frozen", newPTuningV2)
}

// Position schemes for real tokens under a prefix.
const (
	// PositionsUnshifted keeps real tokens at positions 0…T−1, as the FL-tuning authors' baseline.
	PositionsUnshifted = "unshifted"
	// PositionsShifted moves them to P…P+T−1, as transformers does given past_key_values.
	PositionsShifted = "shifted"
)

// PTuningV2Options are p-tuning-v2's options.
type PTuningV2Options struct {
	// PrefixLen is P, the number of prefix positions per layer.
	PrefixLen int64 `yaml:"prefix_len" json:"prefix_len"`
	// Dropout on the prefix keys and values in training; −1 means the model's
	// hidden_dropout_prob (resolved at Attach, so it stays −1 here).
	Dropout float64 `yaml:"dropout" json:"dropout"`
	// Projection reparameterises the prefix table as Embedding(P, H) → Linear(H, ProjectionHidden)
	// → tanh → Linear(ProjectionHidden, 2·L·H) (THUDM's prefix_projection).
	Projection       bool  `yaml:"projection" json:"projection"`
	ProjectionHidden int64 `yaml:"projection_hidden" json:"projection_hidden"`
	// Positions is PositionsUnshifted or PositionsShifted.
	Positions string `yaml:"positions" json:"positions"`
}

const defaultProjectionHidden = 512

// PTuningV2 learns, for every layer, P key and P value vectors per head that are put in front
// of the layer's own keys and values (after the K/V projections); every token attends to them.
// The prefix table is (P, 2·L·H): columns [2lH, 2lH+H) are layer l's keys and [2lH+H, 2lH+2H)
// its values, each read as (heads, headDim) per position — the layout of THUDM's P-tuning v2.
// The whole encoder, pooler included, is frozen.
type PTuningV2 struct {
	opts PTuningV2Options

	params paramSet
	prefix *prefixEncoder
}

var _ Method = (*PTuningV2)(nil)

func newPTuningV2(decode Decode) (Method, error) {
	o := PTuningV2Options{PrefixLen: 160, Dropout: -1, ProjectionHidden: defaultProjectionHidden, Positions: PositionsUnshifted}
	if err := decode(&o); err != nil {
		return nil, fmt.Errorf("p-tuning-v2 options: %w", err)
	}
	switch {
	case o.PrefixLen < 1:
		return nil, fmt.Errorf("p-tuning-v2 options: prefix_len must be at least 1, got %d", o.PrefixLen)
	case o.Dropout != -1 && !(o.Dropout >= 0 && o.Dropout < 1):
		return nil, fmt.Errorf("p-tuning-v2 options: dropout must be in [0, 1), or -1 for the model's hidden_dropout_prob; got %g", o.Dropout)
	case o.ProjectionHidden < 1:
		return nil, fmt.Errorf("p-tuning-v2 options: projection_hidden must be at least 1, got %d", o.ProjectionHidden)
	case !o.Projection && o.ProjectionHidden != defaultProjectionHidden:
		return nil, fmt.Errorf("p-tuning-v2 options: projection_hidden %d is set but projection is off", o.ProjectionHidden)
	case o.Positions != PositionsUnshifted && o.Positions != PositionsShifted:
		return nil, fmt.Errorf("p-tuning-v2 options: positions must be %q or %q, got %q", PositionsUnshifted, PositionsShifted, o.Positions)
	}
	return &PTuningV2{opts: o}, nil
}

// Name implements Method.
func (*PTuningV2) Name() string { return "p-tuning-v2" }

// Options implements Method.
func (m *PTuningV2) Options() any { return m.opts }

// positionsUsed is how many position embeddings the prefix takes from the real tokens.
func (m *PTuningV2) positionsUsed() int64 {
	if m.opts.Positions == PositionsShifted {
		return m.opts.PrefixLen
	}
	return 0
}

// check implements the optional check behind Check: shifted positions must leave room for
// at least one token.
func (m *PTuningV2) check(cfg model.Config) error {
	if used := m.positionsUsed(); used >= cfg.MaxPositionEmbeddings {
		return fmt.Errorf("shifted positions with prefix_len %d leave no room for tokens: max_position_embeddings is %d (prefix_len + max_len must not exceed it)",
			used, cfg.MaxPositionEmbeddings)
	}
	return nil
}

// prefixStd is the TruncatedNormal std of the prefix table (and projection kernels).
const prefixStd = 0.02

// Attach implements Method. Variables: p.prefix_encoder.embedding.weight, (P, 2·L·H); with
// projection (P, H) plus p.prefix_encoder.transform.{0,2}.{weight,bias}, Linear layers in
// transformers' (out, in) layout. Weights are TruncatedNormal(0.02), biases zero.
func (m *PTuningV2) Attach(p *nn.Path, enc *model.Encoder) error {
	if enc == nil {
		return errors.New("p-tuning-v2: no encoder")
	}
	if m.prefix != nil {
		return errors.New("p-tuning-v2: already attached")
	}
	if err := checkPath(p); err != nil {
		return fmt.Errorf("p-tuning-v2: %w", err)
	}
	cfg := enc.Cfg
	if err := m.check(cfg); err != nil {
		return fmt.Errorf("p-tuning-v2: %w", err)
	}
	h, width := cfg.HiddenSize, 2*cfg.NumHiddenLayers*cfg.HiddenSize
	pe := &prefixEncoder{cfg: cfg, plen: m.opts.PrefixLen, shift: m.opts.Positions == PositionsShifted, dropout: m.opts.Dropout}
	if pe.dropout < 0 {
		pe.dropout = cfg.HiddenDropoutProb
	}
	var err error
	if !m.opts.Projection {
		if pe.table, err = m.params.add(p, []string{"prefix_encoder", "embedding"}, "weight", []int64{m.opts.PrefixLen, width}, prefixStd); err != nil {
			return fmt.Errorf("p-tuning-v2: %w", err)
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
			{&pr.emb, []string{"prefix_encoder", "embedding"}, "weight", []int64{m.opts.PrefixLen, h}, prefixStd},
			{&pr.w1, []string{"prefix_encoder", "transform", "0"}, "weight", []int64{ph, h}, prefixStd},
			{&pr.b1, []string{"prefix_encoder", "transform", "0"}, "bias", []int64{ph}, 0},
			{&pr.w2, []string{"prefix_encoder", "transform", "2"}, "weight", []int64{width, ph}, prefixStd},
			{&pr.b2, []string{"prefix_encoder", "transform", "2"}, "bias", []int64{width}, 0},
		}
		for _, s := range steps {
			if *s.dst, err = m.params.add(p, s.sub, s.name, s.dims, s.std); err != nil {
				return fmt.Errorf("p-tuning-v2: %w", err)
			}
		}
		pe.proj = pr
	}
	m.prefix = pe
	enc.SetPrefix(pe)
	return nil
}

// Trains implements Method: exactly the prefix variables made by Attach.
func (m *PTuningV2) Trains(name string) bool { return m.params.has(name) }

// Count implements Method.
func (m *PTuningV2) Count(cfg model.Config) (added, trainableBackbone int64) {
	h, width, plen := cfg.HiddenSize, 2*cfg.NumHiddenLayers*cfg.HiddenSize, m.opts.PrefixLen
	n := plen * width
	if m.opts.Projection {
		ph := m.opts.ProjectionHidden
		n = plen*h + (h*ph + ph) + (ph*width + width)
	}
	return n, n
}

// projection is the reparameterisation MLP's variables.
type projection struct {
	emb    *ts.Tensor // (P, H)
	w1, b1 *ts.Tensor // (ph, H), (ph)
	w2, b2 *ts.Tensor // (2·L·H, ph), (2·L·H)
}

// prefixEncoder implements model.Prefix.
type prefixEncoder struct {
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

// Len implements model.Prefix.
func (pe *prefixEncoder) Len() int64 { return pe.plen }

// ShiftPositions implements model.Prefix.
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
	x, err := s.Track(ts.Linear(pr.emb, pr.w1, pr.b1)) // (P, ph)
	if err != nil {
		return nil, err
	}
	if x, err = s.Track(x.Tanh(false)); err != nil {
		return nil, err
	}
	out, err := ts.Linear(x, pr.w2, pr.b2) // (P, 2·L·H)
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

// KV implements model.Prefix: layer's keys and values, each (B, heads, P, headDim). In training
// dropout is drawn independently for every example, as THUDM's code draws it on the prefix
// expanded to the batch.
func (pe *prefixEncoder) KV(layer int, batch int64, train bool) (k, v *ts.Tensor, err error) {
	c := pe.cfg
	if layer < 0 || int64(layer) >= c.NumHiddenLayers {
		return nil, nil, fmt.Errorf("p-tuning-v2: layer %d out of range", layer)
	}
	table, err := pe.fullTable(layer)
	if err != nil {
		return nil, nil, fmt.Errorf("p-tuning-v2: prefix projection: %w", err)
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
		return nil, nil, fmt.Errorf("p-tuning-v2 layer %d: %w", layer, err)
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
			return nil, nil, fmt.Errorf("p-tuning-v2 layer %d: %w", layer, err)
		}
	}
	if train && pe.dropout > 0 {
		if kv, err = s.Track(ts.Dropout(kv, pe.dropout, true)); err != nil {
			return nil, nil, fmt.Errorf("p-tuning-v2 layer %d: dropout: %w", layer, err)
		}
	}
	if k, err = kv.Select(0, 0, false); err != nil {
		return nil, nil, fmt.Errorf("p-tuning-v2 layer %d: %w", layer, torchErr(err))
	}
	if v, err = kv.Select(0, 1, false); err != nil {
		tsx.Drop(k)
		return nil, nil, fmt.Errorf("p-tuning-v2 layer %d: %w", layer, torchErr(err))
	}
	return k, v, nil
}
