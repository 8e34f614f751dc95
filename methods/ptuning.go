package methods

import (
	"fmt"

	"github.com/clue-bench/clue-bench/model"
)

func init() {
	Register("p-tuning-v2", "P-tuning v2", "P-tuning v2: learned key/value prefixes in every layer train, the encoder stays frozen", newPTuningV2)
	Register("prefix-tuning", "Prefix tuning", "prefix tuning (Li & Liang): key/value prefixes made by an MLP from a small table train, the encoder stays frozen", newPrefixTuning)
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
	// Budget solves prefix_len for this share of fine-tuning's trainable parameters.
	Budget float64 `yaml:"budget,omitempty" json:"budget,omitempty"`
}

const defaultProjectionHidden = 512

// PTuningV2 learns, for every layer, P key and P value vectors per head that are put in front
// of the layer's own keys and values (after the K/V projections); every token attends to them.
// The prefix table is (P, 2·L·H): columns [2lH, 2lH+H) are layer l's keys and [2lH+H, 2lH+2H)
// its values, each read as (heads, headDim) per position — the layout of THUDM's P-tuning v2.
// The whole encoder, pooler included, is frozen.
//
// Positions of the prefix on each backbone, following the FL-tuning authors' code for NEZHA and
// RoFormer and transformers' handling of past_key_values:
//
//   - BERT: the prefix has no position of its own (it enters after the K/V projections). Real
//     tokens take absolute positions 0…T−1 (PositionsUnshifted, the authors' choice) or
//     P…P+T−1 (PositionsShifted, transformers').
//   - NEZHA: prefix keys and values get a zero relative-position term, in the scores and in the
//     context, as the authors' NEZHA code pads its relative tensor with zeros over the prefix.
//     Relative positions between real tokens do not depend on a shift, so PositionsShifted has
//     no meaning and is refused.
//   - RoFormer: prefix keys (and, with rotary_value, values) are not rotated: the authors' code
//     scores the rotated queries against the prefix keys as they are, and transformers rotates
//     new keys before joining them to past_key_values. Real tokens are rotated at positions
//     0…T−1 (PositionsUnshifted) or P…P+T−1 (PositionsShifted); the shift changes the
//     prefix scores, since only the queries turn.
//
// prefix-tuning is the same method under Li & Liang's defaults: the reparameterisation MLP on
// (projection true, projection_hidden 512, their mid_dim) and no dropout on the prefix, as in
// their code and PEFT's PrefixTuningConfig with prefix_projection. PEFT with BERT gives real
// tokens shifted positions (positions: shifted); the default here stays unshifted so that it
// runs on NEZHA too.
type PTuningV2 struct {
	name string
	opts PTuningV2Options

	params paramSet
	// prefix is what Attach hooked into the encoder, a *prefixEncoder (ptuning_torch.go); nil
	// before. It is typed loosely so that this file builds without libtorch.
	prefix any
}

func newPTuningV2(decode Decode) (Spec, error) {
	return newPrefixMethod("p-tuning-v2", PTuningV2Options{PrefixLen: 160, Dropout: -1, ProjectionHidden: defaultProjectionHidden, Positions: PositionsUnshifted}, decode)
}

func newPrefixTuning(decode Decode) (Spec, error) {
	return newPrefixMethod("prefix-tuning", PTuningV2Options{PrefixLen: 20, Dropout: 0, Projection: true, ProjectionHidden: defaultProjectionHidden, Positions: PositionsUnshifted}, decode)
}

// newPrefixMethod decodes over the defaults o and validates.
func newPrefixMethod(name string, o PTuningV2Options, decode Decode) (Spec, error) {
	if err := decode(&o); err != nil {
		return nil, fmt.Errorf("%s options: %w", name, err)
	}
	switch {
	case o.PrefixLen < 1:
		return nil, fmt.Errorf("%s options: prefix_len must be at least 1, got %d", name, o.PrefixLen)
	case o.Dropout != -1 && !(o.Dropout >= 0 && o.Dropout < 1):
		return nil, fmt.Errorf("%s options: dropout must be in [0, 1), or -1 for the model's hidden_dropout_prob; got %g", name, o.Dropout)
	case o.ProjectionHidden < 1:
		return nil, fmt.Errorf("%s options: projection_hidden must be at least 1, got %d", name, o.ProjectionHidden)
	case !o.Projection && o.ProjectionHidden != defaultProjectionHidden:
		return nil, fmt.Errorf("%s options: projection_hidden %d is set but projection is off", name, o.ProjectionHidden)
	case o.Positions != PositionsUnshifted && o.Positions != PositionsShifted:
		return nil, fmt.Errorf("%s options: positions must be %q or %q, got %q", name, PositionsUnshifted, PositionsShifted, o.Positions)
	}
	if err := checkBudget(name, o.Budget); err != nil {
		return nil, err
	}
	return &PTuningV2{name: name, opts: o}, nil
}

// Name implements Spec.
func (m *PTuningV2) Name() string { return m.name }

// Options implements Spec.
func (m *PTuningV2) Options() any { return m.opts }

// positionsUsed is how many position embeddings the prefix takes from the real tokens.
func (m *PTuningV2) positionsUsed(cfg model.Config) int64 {
	if m.opts.Positions == PositionsShifted {
		n, _ := sizeUnder(m, cfg)
		return n
	}
	return 0
}

// check implements the optional check behind Check: shifted positions must mean something
// for the backbone and leave room for at least one token.
func (m *PTuningV2) check(cfg model.Config) error {
	if m.opts.Positions == PositionsShifted && cfg.Arch() == model.ArchNEZHA {
		return fmt.Errorf("positions %q has no meaning for nezha: its positions are relative, and the prefix gets a zero relative term; use %q",
			PositionsShifted, PositionsUnshifted)
	}
	if used := m.positionsUsed(cfg); used >= cfg.MaxPositionEmbeddings {
		return fmt.Errorf("shifted positions with prefix_len %d leave no room for tokens: max_position_embeddings is %d (prefix_len + max_len must not exceed it)",
			used, cfg.MaxPositionEmbeddings)
	}
	return nil
}

// Trains implements Spec: exactly the prefix variables made by Attach.
func (m *PTuningV2) Trains(name string) bool { return m.params.has(name) }

// Count implements Spec.
func (m *PTuningV2) Count(cfg model.Config) (added, trainableBackbone int64) {
	n, _ := sizeUnder(m, cfg)
	return m.countAt(cfg, n)
}

func (m *PTuningV2) countAt(cfg model.Config, plen int64) (int64, int64) {
	h, width := cfg.HiddenSize, 2*cfg.NumHiddenLayers*cfg.HiddenSize
	n := plen * width
	if m.opts.Projection {
		ph := m.opts.ProjectionHidden
		n = plen*h + (h*ph + ph) + (ph*width + width)
	}
	return n, n
}

func (*PTuningV2) knob() string      { return "prefix_len" }
func (m *PTuningV2) budget() float64 { return m.opts.Budget }
func (m *PTuningV2) size() int64     { return m.opts.PrefixLen }

// maxSize leaves one position for real tokens when the prefix shifts them.
func (m *PTuningV2) maxSize(cfg model.Config) int64 {
	if m.opts.Positions == PositionsShifted {
		return cfg.MaxPositionEmbeddings - 1
	}
	return 0
}
