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

// Config is the part of a Hugging Face BERT config.json that shapes the encoder.
// Field names follow config.json so a Config marshals back to a readable file.
type Config struct {
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
}

var configFields = []field{
	{"hidden_size", true, 'i', func(c *Config, v any) { c.HiddenSize = v.(int64) }},
	{"num_hidden_layers", true, 'i', func(c *Config, v any) { c.NumHiddenLayers = v.(int64) }},
	{"num_attention_heads", true, 'i', func(c *Config, v any) { c.NumAttentionHeads = v.(int64) }},
	{"intermediate_size", true, 'i', func(c *Config, v any) { c.IntermediateSize = v.(int64) }},
	{"vocab_size", true, 'i', func(c *Config, v any) { c.VocabSize = v.(int64) }},
	{"max_position_embeddings", false, 'i', func(c *Config, v any) { c.MaxPositionEmbeddings = v.(int64) }},
	{"type_vocab_size", false, 'i', func(c *Config, v any) { c.TypeVocabSize = v.(int64) }},
	{"layer_norm_eps", false, 'f', func(c *Config, v any) { c.LayerNormEps = v.(float64) }},
	{"hidden_dropout_prob", false, 'f', func(c *Config, v any) { c.HiddenDropoutProb = v.(float64) }},
	{"attention_probs_dropout_prob", false, 'f', func(c *Config, v any) { c.AttentionProbsDropoutProb = v.(float64) }},
	{"hidden_act", false, 's', func(c *Config, v any) { c.HiddenAct = v.(string) }},
	{"initializer_range", false, 'f', func(c *Config, v any) { c.InitializerRange = v.(float64) }},
	{"pad_token_id", false, 'i', func(c *Config, v any) { c.PadTokenID = v.(int64) }},
}

// defaultConfig holds transformers' BertConfig defaults for the optional fields.
func defaultConfig() Config {
	return Config{
		MaxPositionEmbeddings:     512,
		TypeVocabSize:             2,
		LayerNormEps:              1e-12,
		HiddenDropoutProb:         0.1,
		AttentionProbsDropoutProb: 0.1,
		HiddenAct:                 "gelu",
		InitializerRange:          0.02,
	}
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
// that model_type and position_embedding_type must describe a plain BERT.
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
	c := defaultConfig()
	for _, f := range configFields {
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
	// Checkpoints of other architectures can share BERT's tensor names (RoBERTa offsets its
	// positions, NEZHA uses relative ones); loading them here would give silently wrong output.
	if v, ok := raw["model_type"]; ok && v != nil {
		if s, isStr := v.(string); !isStr || s != "bert" {
			return Config{}, fmt.Errorf("field %q: %v is not supported (want \"bert\")", "model_type", describe(v))
		}
	}
	if v, ok := raw["position_embedding_type"]; ok && v != nil {
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

// Validate checks sizes and probabilities; errors name the field at fault.
func (c Config) Validate() error {
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
