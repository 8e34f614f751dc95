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
