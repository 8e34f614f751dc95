package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Architectures the encoder implements, as config.json's model_type names them.
const (
	ArchBERT     = "bert"     // BertModel: absolute position embeddings
	ArchNEZHA    = "nezha"    // NezhaModel: functional relative positions inside attention
	ArchRoFormer = "roformer" // RoFormerModel: rotary positions on queries and keys, no pooler
)

// Architectures lists the model_type values the encoder implements.
var Architectures = []string{ArchBERT, ArchNEZHA, ArchRoFormer}

// Config is the part of a Hugging Face BERT, NEZHA or RoFormer config.json that shapes the
// encoder. Field names follow config.json so a Config marshals back to a readable file.
type Config struct {
	// ModelType is config.json's model_type: ArchNEZHA or ArchRoFormer, or empty for BERT.
	// BERT is stored as "" (ParseConfig maps "bert" to it) so that a BERT config marshals
	// exactly as it did before other architectures existed; Arch gives the name.
	ModelType string `json:"model_type,omitempty"`

	HiddenSize            int64 `json:"hidden_size"`
	NumHiddenLayers       int64 `json:"num_hidden_layers"`
	NumAttentionHeads     int64 `json:"num_attention_heads"`
	IntermediateSize      int64 `json:"intermediate_size"`
	MaxPositionEmbeddings int64 `json:"max_position_embeddings"`
	TypeVocabSize         int64 `json:"type_vocab_size"`
	VocabSize             int64 `json:"vocab_size"`

	LayerNormEps              float64 `json:"layer_norm_eps"`
	HiddenDropoutProb         float64 `json:"hidden_dropout_prob"`
	AttentionProbsDropoutProb float64 `json:"attention_probs_dropout_prob"`
	// HiddenAct names the FFN activation as transformers does: "gelu" is the exact (erf) GELU,
	// "gelu_new" the tanh approximation; see Activation for the full list.
	HiddenAct string `json:"hidden_act"`

	// InitializerRange is the std of the normal init of fresh Linear/Embedding weights.
	InitializerRange float64 `json:"initializer_range"`
	// PadTokenID is the word-embedding padding index: its row gets no gradient, as in
	// transformers, and starts at zero in a fresh model.
	PadTokenID int64 `json:"pad_token_id"`

	// MaxRelativePosition clips NEZHA's relative distances to ±this (NEZHA only).
	MaxRelativePosition int64 `json:"max_relative_position,omitempty"`
	// EmbeddingSize is RoFormer's embedding width E; 0 means hidden_size. When E differs
	// from hidden_size, embeddings_project maps E to H (RoFormer only).
	EmbeddingSize int64 `json:"embedding_size,omitempty"`
	// RotaryValue rotates the values as well as queries and keys (RoFormer only).
	RotaryValue bool `json:"rotary_value,omitempty"`
}

// Arch is the architecture's model_type name: ArchBERT for an empty ModelType.
func (c Config) Arch() string {
	if c.ModelType == "" {
		return ArchBERT
	}
	return c.ModelType
}

// Namespace is the first component of the encoder's variable names, the attribute under
// which transformers' task models hold the base model: "bert", "nezha" or "roformer", as in
// "nezha.encoder.layer.0.attention.self.query.weight".
func (c Config) Namespace() string { return c.Arch() }

// IsEncoderVar reports whether a variable name lies in an encoder namespace of any
// architecture (a VarStore holds one encoder, so this is that encoder's namespace); task
// heads and method variables lie outside.
func IsEncoderVar(name string) bool {
	for _, ns := range Architectures {
		if strings.HasPrefix(name, ns+".") {
			return true
		}
	}
	return false
}

// IsNamespace reports whether a path component is an encoder namespace of any architecture.
func IsNamespace(name string) bool { return slices.Contains(Architectures, name) }

// EmbeddingDim is the width of the word and token-type embeddings: EmbeddingSize for a
// RoFormer that sets it, hidden_size otherwise.
func (c Config) EmbeddingDim() int64 {
	if c.Arch() == ArchRoFormer && c.EmbeddingSize > 0 {
		return c.EmbeddingSize
	}
	return c.HiddenSize
}

// HeadDim is the per-head width, HiddenSize / NumAttentionHeads.
func (c Config) HeadDim() int64 {
	if c.NumAttentionHeads == 0 {
		return 0
	}
	return c.HiddenSize / c.NumAttentionHeads
}

// field describes how one config.json key is read.
type field struct {
	key      string
	required bool // a missing size field is an error rather than a silent BERT-base default
	kind     byte // 'i' integer, 'f' number, 's' string
	set      func(c *Config, v any)
	arch     string // read only for this model_type; "" for all
}

var configFields = []field{
	{"hidden_size", true, 'i', func(c *Config, v any) { c.HiddenSize = v.(int64) }, ""},
	{"num_hidden_layers", true, 'i', func(c *Config, v any) { c.NumHiddenLayers = v.(int64) }, ""},
	{"num_attention_heads", true, 'i', func(c *Config, v any) { c.NumAttentionHeads = v.(int64) }, ""},
	{"intermediate_size", true, 'i', func(c *Config, v any) { c.IntermediateSize = v.(int64) }, ""},
	{"vocab_size", true, 'i', func(c *Config, v any) { c.VocabSize = v.(int64) }, ""},
	{"max_position_embeddings", false, 'i', func(c *Config, v any) { c.MaxPositionEmbeddings = v.(int64) }, ""},
	{"type_vocab_size", false, 'i', func(c *Config, v any) { c.TypeVocabSize = v.(int64) }, ""},
	{"layer_norm_eps", false, 'f', func(c *Config, v any) { c.LayerNormEps = v.(float64) }, ""},
	{"hidden_dropout_prob", false, 'f', func(c *Config, v any) { c.HiddenDropoutProb = v.(float64) }, ""},
	{"attention_probs_dropout_prob", false, 'f', func(c *Config, v any) { c.AttentionProbsDropoutProb = v.(float64) }, ""},
	{"hidden_act", false, 's', func(c *Config, v any) { c.HiddenAct = v.(string) }, ""},
	{"initializer_range", false, 'f', func(c *Config, v any) { c.InitializerRange = v.(float64) }, ""},
	{"pad_token_id", false, 'i', func(c *Config, v any) { c.PadTokenID = v.(int64) }, ""},
	// Keys of one architecture only: other configs may carry them unused (some NEZHA configs
	// list an embedding_size that NezhaModel ignores).
	{"max_relative_position", false, 'i', func(c *Config, v any) { c.MaxRelativePosition = v.(int64) }, ArchNEZHA},
	{"embedding_size", false, 'i', func(c *Config, v any) { c.EmbeddingSize = v.(int64) }, ArchRoFormer},
	{"rotary_value", false, 'b', func(c *Config, v any) { c.RotaryValue = v.(bool) }, ArchRoFormer},
}

// defaultConfig holds transformers' defaults for the optional fields of the architecture's
// config class (BertConfig, NezhaConfig, RoFormerConfig); they differ only where set below.
func defaultConfig(arch string) Config {
	c := Config{
		MaxPositionEmbeddings:     512,
		TypeVocabSize:             2,
		LayerNormEps:              1e-12,
		HiddenDropoutProb:         0.1,
		AttentionProbsDropoutProb: 0.1,
		HiddenAct:                 "gelu",
		InitializerRange:          0.02,
	}
	switch arch {
	case ArchNEZHA:
		c.ModelType, c.MaxRelativePosition = ArchNEZHA, 64
	case ArchRoFormer:
		c.ModelType, c.MaxPositionEmbeddings = ArchRoFormer, 1536
	}
	return c
}

// ReadConfig reads and validates a config.json. Errors name the file and the offending field.
func ReadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes and validates config.json contents. Types are checked strictly (an
// integer field rejects "768" and 768.5); keys this package does not use are ignored, except
// that model_type must name one of Architectures (absent means BERT) and a BERT's
// position_embedding_type must be absolute.
func ParseConfig(data []byte) (Config, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return Config{}, fmt.Errorf("not a JSON object: %w", err)
	}
	if raw == nil {
		return Config{}, fmt.Errorf("not a JSON object")
	}
	// A second value after the object is a damaged or concatenated file, not a config to
	// half-read.
	if _, err := dec.Token(); err != io.EOF {
		return Config{}, fmt.Errorf("not a JSON object: data after the closing brace at byte %d", dec.InputOffset())
	}
	// Checkpoints of other architectures can share BERT's tensor names (RoBERTa offsets its
	// positions, ALBERT shares layers); loading them as another architecture would give
	// silently wrong output.
	arch := ArchBERT
	if v, ok := raw["model_type"]; ok && v != nil {
		s, isStr := v.(string)
		if !isStr || !slices.Contains(Architectures, s) {
			return Config{}, fmt.Errorf("field %q: %v is not supported (want one of %s)", "model_type", describe(v), quoted(Architectures))
		}
		arch = s
	}
	c := defaultConfig(arch)
	for _, f := range configFields {
		if f.arch != "" && f.arch != arch {
			continue
		}
		v, ok := raw[f.key]
		if !ok || v == nil {
			if f.required {
				return Config{}, fmt.Errorf("field %q: missing", f.key)
			}
			continue
		}
		val, err := convert(v, f.kind)
		if err != nil {
			return Config{}, fmt.Errorf("field %q: %w", f.key, err)
		}
		f.set(&c, val)
	}
	if v, ok := raw["position_embedding_type"]; ok && v != nil && arch == ArchBERT {
		if s, isStr := v.(string); !isStr || s != "absolute" {
			return Config{}, fmt.Errorf("field %q: %v is not supported (want \"absolute\")", "position_embedding_type", describe(v))
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// convert checks a decoded JSON value against the wanted kind.
func convert(v any, kind byte) (any, error) {
	switch kind {
	case 'i':
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("want an integer, got %s", describe(v))
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an integer, got %s", n)
		}
		return i, nil
	case 'f':
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("want a number, got %s", describe(v))
		}
		f, err := n.Float64()
		if err != nil {
			return nil, fmt.Errorf("want a number, got %s", n)
		}
		return f, nil
	case 'b':
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want true or false, got %s", describe(v))
		}
		return b, nil
	default:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %s", describe(v))
		}
		return s, nil
	}
}

// describe names a decoded JSON value's type and value for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("string %q", x)
	case json.Number:
		return "number " + x.String()
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%v", x)
	}
}

// quoted lists names as "a", "b", "c".
func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// Validate checks the architecture, sizes and probabilities; errors name the field at fault.
func (c Config) Validate() error {
	if c.ModelType != "" && !slices.Contains(Architectures, c.ModelType) {
		return fmt.Errorf("field %q: %q is not supported (want one of %s)", "model_type", c.ModelType, quoted(Architectures))
	}
	positive := []struct {
		key string
		v   int64
	}{
		{"hidden_size", c.HiddenSize},
		{"num_hidden_layers", c.NumHiddenLayers},
		{"num_attention_heads", c.NumAttentionHeads},
		{"intermediate_size", c.IntermediateSize},
		{"vocab_size", c.VocabSize},
		{"max_position_embeddings", c.MaxPositionEmbeddings},
		{"type_vocab_size", c.TypeVocabSize},
	}
	for _, p := range positive {
		if p.v <= 0 {
			return fmt.Errorf("field %q: must be positive, got %d", p.key, p.v)
		}
	}
	if c.HiddenSize%c.NumAttentionHeads != 0 {
		return fmt.Errorf("field %q: hidden_size %d is not a multiple of num_attention_heads %d",
			"num_attention_heads", c.HiddenSize, c.NumAttentionHeads)
	}
	if !(c.LayerNormEps > 0) {
		return fmt.Errorf("field %q: must be positive, got %g", "layer_norm_eps", c.LayerNormEps)
	}
	probs := []struct {
		key string
		v   float64
	}{
		{"hidden_dropout_prob", c.HiddenDropoutProb},
		{"attention_probs_dropout_prob", c.AttentionProbsDropoutProb},
	}
	for _, p := range probs {
		if !(p.v >= 0 && p.v < 1) {
			return fmt.Errorf("field %q: must be in [0, 1), got %g", p.key, p.v)
		}
	}
	if !(c.InitializerRange > 0) {
		return fmt.Errorf("field %q: must be positive, got %g", "initializer_range", c.InitializerRange)
	}
	if c.PadTokenID < 0 || c.PadTokenID >= c.VocabSize {
		return fmt.Errorf("field %q: %d is outside the vocabulary [0, %d)", "pad_token_id", c.PadTokenID, c.VocabSize)
	}
	if err := checkActivation(c.HiddenAct); err != nil {
		return fmt.Errorf("field %q: %w", "hidden_act", err)
	}
	switch c.Arch() {
	case ArchNEZHA:
		if c.MaxRelativePosition < 1 {
			return fmt.Errorf("field %q: must be positive, got %d", "max_relative_position", c.MaxRelativePosition)
		}
	case ArchRoFormer:
		if c.EmbeddingSize < 0 {
			return fmt.Errorf("field %q: must be positive, got %d", "embedding_size", c.EmbeddingSize)
		}
	}
	// Both sinusoid schemes pair a head's dimensions (sin, cos): NEZHA's relative table and
	// RoFormer's rotations.
	if c.Arch() != ArchBERT && c.HeadDim()%2 != 0 {
		return fmt.Errorf("field %q: %s needs an even head size, got hidden_size %d / num_attention_heads %d = %d",
			"num_attention_heads", c.Arch(), c.HiddenSize, c.NumAttentionHeads, c.HeadDim())
	}
	return nil
}

// activationNames are the hidden_act values the encoder implements, sorted: transformers'
// ACT2FN names that activation.go maps to libtorch ops. They are listed here, apart from the
// ops, so that a config validates without libtorch; a test keeps the two in step.
var activationNames = []string{
	"gelu", "gelu_fast", "gelu_new", "gelu_pytorch_tanh", "quick_gelu",
	"relu", "sigmoid", "silu", "swish", "tanh",
}

// checkActivation rejects an activation name the encoder does not implement, listing those it does.
func checkActivation(name string) error {
	if !slices.Contains(activationNames, name) {
		return fmt.Errorf("unknown activation %q (have %s)", name, strings.Join(activationNames, ", "))
	}
	return nil
}
