//go:build cgo

package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/methods"
)

// robertaBaseConfig is chinese-roberta-wwm-ext's config.json.
const robertaBaseConfig = `{
  "architectures": ["BertForMaskedLM"],
  "attention_probs_dropout_prob": 0.1,
  "directionality": "bidi",
  "hidden_act": "gelu",
  "hidden_dropout_prob": 0.1,
  "hidden_size": 768,
  "initializer_range": 0.02,
  "intermediate_size": 3072,
  "layer_norm_eps": 1e-12,
  "max_position_embeddings": 512,
  "model_type": "bert",
  "num_attention_heads": 12,
  "num_hidden_layers": 12,
  "pad_token_id": 0,
  "type_vocab_size": 2,
  "vocab_size": 21128
}`

type paramsOutput struct {
	Trainable          int64   `json:"trainable"`
	TrainableBackbone  int64   `json:"trainable_backbone"`
	Head               int64   `json:"head"`
	Added              int64   `json:"added"`
	Total              int64   `json:"total"`
	Ratio              float64 `json:"ratio"`
	RatioEncoderLayers float64 `json:"ratio_encoder_layers"`
}

func TestParamsCommand(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(robertaBaseConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	const (
		encoder = 102_267_648
		layers  = 85_054_464
		head2   = 768*2 + 2
	)
	cases := []struct {
		args                   []string
		backbone, added, head  int64
		wantRatioEncoderLayers float64
	}{
		{[]string{"--method", "fl-tuning"}, 2_960_256, 2_960_256, head2, 2_960_256.0 / layers},
		{[]string{"--method", "p-tuning-v2"}, 2_949_120, 2_949_120, head2, 2_949_120.0 / layers},
		{[]string{"--method", "fine-tuning", "--labels", "15"}, encoder, 0, 768*15 + 15, float64(encoder) / layers},
		{[]string{"--method", "fl-tuning", "--set", "units=8", "--set", "layers=[0,1]"}, 2 * (768*8 + 8 + 8*768 + 768), 2 * (768*8 + 8 + 8*768 + 768), head2, 2 * (768*8 + 8 + 8*768 + 768) / float64(layers)},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		args := append([]string{"params", "--model", dir}, c.args...)
		if code := run(args, &out, &errb); code != 0 {
			t.Errorf("%v: exit %d, stderr %s", c.args, code, errb.String())
			continue
		}
		var got paramsOutput
		dec := json.NewDecoder(&out)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if dec.More() {
			t.Errorf("%v: more than one JSON value printed", c.args)
		}
		want := paramsOutput{
			Trainable: c.backbone + c.head, TrainableBackbone: c.backbone, Head: c.head, Added: c.added,
			Total: encoder + c.added + c.head, RatioEncoderLayers: c.wantRatioEncoderLayers,
		}
		want.Ratio = float64(want.Trainable) / float64(want.Total)
		if got.Trainable != want.Trainable || got.TrainableBackbone != want.TrainableBackbone || got.Head != want.Head ||
			got.Added != want.Added || got.Total != want.Total ||
			math.Abs(got.Ratio-want.Ratio) > 1e-15 || math.Abs(got.RatioEncoderLayers-want.RatioEncoderLayers) > 1e-15 {
			t.Errorf("%v:\n got %+v\nwant %+v", c.args, got, want)
		}
	}
}

func TestParamsCommandErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(robertaBaseConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--method", "fl-tuning"}, 2, "--model is required"},
		{[]string{"--model", dir, "--set", "units=8"}, 2, "--set needs --method"},
		{[]string{"--model", dir, "--method", "lora", "--budget", "1.5"}, 2, "--budget must be a share"},
		{[]string{"--model", dir, "--method", "dora"}, 1, "adapter, bitfit, fine-tuning, fl-tuning, ia3, lora, p-tuning-v2, parallel-adapter, prefix-tuning, prompt-tuning"},
		{[]string{"--model", dir, "--method", "fl-tuning", "--set", "unit=8"}, 1, "unit"},
		{[]string{"--model", dir, "--method", "fl-tuning", "--set", "layers=[12]"}, 1, "layer index 12 is out of range"},
		{[]string{"--model", dir, "--method", "fl-tuning", "--labels", "0"}, 2, "--labels must be at least 1"},
		{[]string{"--model", t.TempDir(), "--method", "fl-tuning"}, 1, "config.json"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(append([]string{"params"}, c.args...), &out, &errb)
		if code != c.code || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errb.String(), c.code, c.want)
		}
		if out.Len() != 0 {
			t.Errorf("%v: printed %q on failure", c.args, out.String())
		}
	}
}

// TestParamsBudget checks --budget: the solved knob in the JSON object, and the table of every
// method without --method.
func TestParamsBudget(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(robertaBaseConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method  string
		knob    string
		value   int64
		reached any // true, false, or nil for a method without a knob
	}{
		{"lora", "r", 83, true},
		{"fl-tuning", "units", 166, true},
		{"prompt-tuning", "num_virtual_tokens", 511, false},
		{"bitfit", "", 0, nil},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		if code := run([]string{"params", "--model", dir, "--method", c.method, "--budget", "0.03"}, &out, &errb); code != 0 {
			t.Fatalf("%s: exit %d: %s", c.method, code, errb.String())
		}
		var got struct {
			TrainableBackbone int64 `json:"trainable_backbone"`
			Size              struct {
				Knob    string  `json:"knob"`
				Value   int64   `json:"value"`
				Share   float64 `json:"share"`
				Reached any     `json:"reached"`
			} `json:"size"`
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v\n%s", c.method, err, out.String())
		}
		if got.Size.Knob != c.knob || got.Size.Value != c.value || got.Size.Reached != c.reached ||
			math.Abs(got.Size.Share-float64(got.TrainableBackbone)/102_267_648) > 1e-12 {
			t.Errorf("%s: size %+v, want %s = %d, reached %v", c.method, got.Size, c.knob, c.value, c.reached)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"params", "--model", dir, "--budget", "0.03"}, &out, &errb); code != 0 {
		t.Fatalf("table: exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1+len(methods.Names()) {
		t.Fatalf("table has %d lines, want a header and one per method:\n%s", len(lines), out.String())
	}
	for _, want := range []string{"lora              r", "budget not reachable", "no size knob: fixed share"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
