package methods

import (
	"fmt"
	"slices"
	"strings"

	"github.com/clue-bench/clue-bench/model"
)

func init() {
	Register("bitfit", "BitFit", "BitFit: the encoder's bias terms train, everything else stays frozen", newBitFit)
}

// BitFit kinds beyond the six linear maps of a layer.
const (
	// BitFitLayerNorm is every LayerNorm's bias (beta): the embeddings' and both of each
	// layer's. LayerNorm weights (gamma) never train.
	BitFitLayerNorm = "LayerNorm"
	// BitFitPooler is the pooler's bias (none on RoFormer).
	BitFitPooler = "pooler"
	// BitFitProject is RoFormer's embeddings_project bias, where the model has one.
	BitFitProject = "embeddings_project"
)

// BitFitOptions are bitfit's options.
type BitFitOptions struct {
	// Biases limits training to these kinds of bias: the linear maps query, key, value,
	// attention.output.dense, intermediate.dense, output.dense, and LayerNorm, pooler,
	// embeddings_project. Empty means all of them, as Ben Zaken et al. train every bias.
	Biases []string `yaml:"biases,omitempty" json:"biases,omitempty"`
}

// BitFit (Ben Zaken et al.) trains the encoder's bias terms and adds nothing.
type BitFit struct {
	opts  BitFitOptions
	kinds map[string]bool // nil: all
}

func newBitFit(decode Decode) (Spec, error) {
	var o BitFitOptions
	if err := decode(&o); err != nil {
		return nil, fmt.Errorf("bitfit options: %w", err)
	}
	m := &BitFit{opts: o}
	if len(o.Biases) == 0 {
		m.opts.Biases = nil
		return m, nil
	}
	m.kinds = map[string]bool{}
	known := bitFitKinds()
	for _, k := range o.Biases {
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("bitfit options: no bias kind %q (known: %v)", k, known)
		}
		if m.kinds[k] {
			return nil, fmt.Errorf("bitfit options: %q is listed twice", k)
		}
		m.kinds[k] = true
	}
	m.opts.Biases = slices.Clone(o.Biases)
	slices.Sort(m.opts.Biases)
	return m, nil
}

// bitFitKinds are the kinds of bias, in forward order.
func bitFitKinds() []string {
	out := []string{BitFitProject}
	for _, s := range model.Sites {
		out = append(out, s.String())
	}
	return append(out, BitFitLayerNorm, BitFitPooler)
}

// Name implements Spec.
func (*BitFit) Name() string { return "bitfit" }

// Options implements Spec.
func (m *BitFit) Options() any { return m.opts }

// biasKind is the kind of an encoder variable that is a bias, "" for any other.
func biasKind(name string) string {
	if !model.IsEncoderVar(name) || !strings.HasSuffix(name, ".bias") {
		return ""
	}
	switch {
	case strings.HasSuffix(name, ".LayerNorm.bias"):
		return BitFitLayerNorm
	case strings.Contains(name, ".pooler."):
		return BitFitPooler
	case strings.Contains(name, ".embeddings_project."):
		return BitFitProject
	}
	for _, s := range model.Sites {
		if strings.HasSuffix(name, "."+s.String()+".bias") && (s != model.SiteFFNOut || !strings.Contains(name, ".attention.")) {
			return s.String()
		}
	}
	return ""
}

// Trains implements Spec: the selected encoder biases.
func (m *BitFit) Trains(name string) bool {
	k := biasKind(name)
	return k != "" && (m.kinds == nil || m.kinds[k])
}

// Count implements Spec.
func (m *BitFit) Count(cfg model.Config) (added, trainableBackbone int64) {
	on := func(k string) bool { return m.kinds == nil || m.kinds[k] }
	var n int64
	for _, s := range model.Sites {
		if on(s.String()) {
			_, out := siteDims(cfg, s)
			n += cfg.NumHiddenLayers * out
		}
	}
	if on(BitFitLayerNorm) {
		n += cfg.EmbeddingDim() + 2*cfg.NumHiddenLayers*cfg.HiddenSize
	}
	if on(BitFitPooler) && cfg.Arch() != model.ArchRoFormer {
		n += cfg.HiddenSize
	}
	if on(BitFitProject) && cfg.Arch() == model.ArchRoFormer && cfg.EmbeddingDim() != cfg.HiddenSize {
		n += cfg.HiddenSize
	}
	return 0, n
}
