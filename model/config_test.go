package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const minimalConfig = `{"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
 "intermediate_size": 64, "vocab_size": 64`

func TestReadConfigDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(minimalConfig+`, "architectures": ["BertModel"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := ReadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		HiddenSize: 32, NumHiddenLayers: 2, NumAttentionHeads: 4, IntermediateSize: 64, VocabSize: 64,
		MaxPositionEmbeddings: 512, TypeVocabSize: 2, LayerNormEps: 1e-12, HiddenDropoutProb: 0.1,
		AttentionProbsDropoutProb: 0.1, HiddenAct: "gelu", InitializerRange: 0.02,
	}
	if c != want {
		t.Errorf("ReadConfig = %+v\nwant %+v", c, want)
	}
	if c.HeadDim() != 8 {
		t.Errorf("HeadDim = %d, want 8", c.HeadDim())
	}
}

// TestReadConfigArchitectures checks each architecture's defaults and keys: a key of another
// architecture is ignored, and BERT keeps an empty ModelType so that it marshals as before.
func TestReadConfigArchitectures(t *testing.T) {
	base := Config{
		HiddenSize: 32, NumHiddenLayers: 2, NumAttentionHeads: 4, IntermediateSize: 64, VocabSize: 64,
		MaxPositionEmbeddings: 512, TypeVocabSize: 2, LayerNormEps: 1e-12, HiddenDropoutProb: 0.1,
		AttentionProbsDropoutProb: 0.1, HiddenAct: "gelu", InitializerRange: 0.02,
	}
	cases := []struct {
		extra, ns string
		edit      func(c *Config)
		embedding int64
	}{
		{`, "model_type": "bert", "embedding_size": 16, "max_relative_position": 3}`, "bert", func(c *Config) {}, 32},
		{`, "model_type": "nezha", "embedding_size": 128}`, "nezha", func(c *Config) { c.ModelType, c.MaxRelativePosition = "nezha", 64 }, 32},
		{`, "model_type": "nezha", "max_relative_position": 3}`, "nezha", func(c *Config) { c.ModelType, c.MaxRelativePosition = "nezha", 3 }, 32},
		{`, "model_type": "roformer"}`, "roformer", func(c *Config) { c.ModelType, c.MaxPositionEmbeddings = "roformer", 1536 }, 32},
		{`, "model_type": "roformer", "embedding_size": 16, "rotary_value": true, "max_relative_position": 3}`, "roformer", func(c *Config) {
			c.ModelType, c.MaxPositionEmbeddings, c.EmbeddingSize, c.RotaryValue = "roformer", 1536, 16, true
		}, 16},
	}
	for _, c := range cases {
		got, err := ParseConfig([]byte(minimalConfig + c.extra))
		if err != nil {
			t.Fatalf("%s: %v", c.extra, err)
		}
		want := base
		c.edit(&want)
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.extra, got, want)
		}
		if got.Namespace() != c.ns || got.EmbeddingDim() != c.embedding {
			t.Errorf("%s: namespace %q, embedding width %d; want %q, %d", c.extra, got.Namespace(), got.EmbeddingDim(), c.ns, c.embedding)
		}
	}
	for name, want := range map[string]bool{"bert.pooler.dense.weight": true, "nezha.embeddings.LayerNorm.bias": true,
		"roformer.encoder.layer.0.attention.self.key.bias": true, "classifier.weight": false, "bertx.y": false, "fl-tuning.layer.0.output.bias": false} {
		if IsEncoderVar(name) != want {
			t.Errorf("IsEncoderVar(%q) = %v, want %v", name, !want, want)
		}
	}
}

func TestReadConfigErrors(t *testing.T) {
	cases := []struct {
		name, body string
		want       []string // substrings of the error
	}{
		{"string int", minimalConfig + `, "max_position_embeddings": "512"}`, []string{`"max_position_embeddings"`, "integer", `string "512"`}},
		{"fractional int", minimalConfig + `, "type_vocab_size": 2.5}`, []string{`"type_vocab_size"`, "integer"}},
		{"float int", minimalConfig + `, "type_vocab_size": 2.0}`, []string{`"type_vocab_size"`, "integer"}},
		{"string float", minimalConfig + `, "layer_norm_eps": "1e-12"}`, []string{`"layer_norm_eps"`, "number"}},
		{"number act", minimalConfig + `, "hidden_act": 1}`, []string{`"hidden_act"`, "string"}},
		{"unknown act", minimalConfig + `, "hidden_act": "gelu_erf"}`, []string{`"hidden_act"`, "gelu_erf"}},
		{"missing", `{"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64}`, []string{`"vocab_size"`, "missing"}},
		{"null required", minimalConfig + `, "hidden_size": null}`, []string{`"hidden_size"`, "missing"}},
		{"heads", strings.Replace(minimalConfig, `"num_attention_heads": 4`, `"num_attention_heads": 5`, 1) + `}`, []string{`"num_attention_heads"`, "multiple"}},
		{"zero layers", strings.Replace(minimalConfig, `"num_hidden_layers": 2`, `"num_hidden_layers": 0`, 1) + `}`, []string{`"num_hidden_layers"`, "positive"}},
		{"dropout", minimalConfig + `, "hidden_dropout_prob": 1.5}`, []string{`"hidden_dropout_prob"`}},
		{"eps", minimalConfig + `, "layer_norm_eps": 0}`, []string{`"layer_norm_eps"`}},
		{"pad id", minimalConfig + `, "pad_token_id": 64}`, []string{`"pad_token_id"`}},
		{"roberta", minimalConfig + `, "model_type": "roberta"}`, []string{`"model_type"`, "roberta"}},
		{"relative", minimalConfig + `, "position_embedding_type": "relative_key"}`, []string{`"position_embedding_type"`}},
		{"model_type number", minimalConfig + `, "model_type": 1}`, []string{`"model_type"`, "number 1"}},
		{"nezha relative", minimalConfig + `, "model_type": "nezha", "max_relative_position": 0}`, []string{`"max_relative_position"`, "positive"}},
		{"nezha odd head", strings.Replace(minimalConfig, `"hidden_size": 32`, `"hidden_size": 36`, 1) + `, "model_type": "nezha"}`, []string{`"num_attention_heads"`, "even head size"}},
		{"roformer odd head", strings.Replace(minimalConfig, `"hidden_size": 32`, `"hidden_size": 36`, 1) + `, "model_type": "roformer"}`, []string{`"num_attention_heads"`, "even head size"}},
		{"roformer rotary", minimalConfig + `, "model_type": "roformer", "rotary_value": "yes"}`, []string{`"rotary_value"`, "true or false"}},
		{"roformer embedding", minimalConfig + `, "model_type": "roformer", "embedding_size": -1}`, []string{`"embedding_size"`}},
		{"not json", `hidden_size = 32`, []string{"JSON"}},
		{"array", `[1, 2]`, []string{"JSON object"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(path, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadConfig(path)
			if err == nil {
				t.Fatal("ReadConfig accepted a bad config")
			}
			for _, w := range append([]string{path}, c.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestReadConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "config.json")
	if _, err := ReadConfig(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v does not name %s", err, path)
	}
}
