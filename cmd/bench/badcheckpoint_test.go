//go:build cgo

package main

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/scale/fixture"
)

// Bad backbones as a new user meets them, through the bench command: each must end in a
// non-zero exit, an error that names the file and the field or tensor at fault, and nothing of
// a Go panic or a libtorch backtrace, on the console or in a result.

// traceMarks must never reach a user.
var traceMarks = []string{"panic", "goroutine ", "Exception raised from", "frame #", "runtime error"}

func checkMessage(t *testing.T, where, msg string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("%s lacks %q:\n%s", where, w, msg)
		}
	}
	for _, m := range traceMarks {
		if strings.Contains(msg, m) {
			t.Errorf("%s contains %q:\n%s", where, m, msg)
		}
	}
}

// modelEdit changes a model directory before the command runs.
type modelEdit func(t *testing.T, dir string)

func writeModelFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readModelFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// replaceIn edits a text file of the model directory; old must occur.
func replaceIn(name, old, new string) modelEdit {
	return func(t *testing.T, dir string) {
		body := string(readModelFile(t, dir, name))
		if !strings.Contains(body, old) {
			t.Fatalf("%s has no %q", name, old)
		}
		writeModelFile(t, dir, name, []byte(strings.Replace(body, old, new, 1)))
	}
}

// withWeights replaces the checkpoint by name with data (made from the current checkpoint of
// that name, or of the other format, by make).
func withWeights(name string, make func(t *testing.T, dir string) []byte) modelEdit {
	return func(t *testing.T, dir string) {
		data := make(t, dir)
		for _, f := range []string{"model.safetensors", "pytorch_model.bin"} {
			if err := os.Remove(filepath.Join(dir, f)); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
		writeModelFile(t, dir, name, data)
	}
}

// torchModel makes dir a copy of the model package's PyTorch fixture (zip or legacy format):
// a 2-layer BERT whose vocabulary suits any text.
func torchModel(variant string) modelEdit {
	return func(t *testing.T, dir string) {
		for _, f := range []string{"model.safetensors", "pytorch_model.bin", "config.json", "vocab.txt"} {
			if err := os.Remove(filepath.Join(dir, f)); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
		for _, f := range []string{"config.json", "vocab.txt", "pytorch_model.bin"} {
			writeModelFile(t, dir, f, readModelFile(t, filepath.Join(tinyModel, variant), f))
		}
	}
}

// oneTokenType makes the model's token-type table a single row, in the checkpoint and in
// config.json: a model that cannot take sentence pairs.
func oneTokenType(t *testing.T, dir string) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	path := filepath.Join(dir, "model.safetensors")
	tensors, err := model.ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, x := range tensors {
			tsx.Drop(x)
		}
	}()
	const name = "bert.embeddings.token_type_embeddings.weight"
	row, err := tensors[name].Narrow(0, 0, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	tsx.Drop(tensors[name])
	tensors[name] = row
	if err := model.WriteSafetensors(path, tensors); err != nil {
		t.Fatal(err)
	}
	replaceIn("config.json", `"type_vocab_size":2`, `"type_vocab_size":1`)(t, dir)
}

func apply(t *testing.T, dir string, edits []modelEdit) {
	t.Helper()
	for _, e := range edits {
		e(t, dir)
	}
}

// cellResult is the part of a result file these tests read.
type cellResult struct {
	Status string `json:"status"`
	Error  string `json:"error"`
}

func TestRunBadBackbone(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the bench command over tiny models")
	}
	garbage := make([]byte, 3000)
	rand.New(rand.NewSource(3)).Read(garbage)
	cases := []struct {
		name  string
		edits []modelEdit
		cfg   []string // edits of the matrix config (old, new pairs)
		want  []string // in the cell's error; "MODEL/" stands for the model directory
	}{
		{"vocab larger than vocab_size", []modelEdit{replaceIn("vocab.txt", "[MASK]\n", "[MASK]\n子\n丑\n寅\n")}, nil,
			[]string{"MODEL/vocab.txt has 20 tokens", "MODEL/config.json has vocab_size 17", "ids 17…19"}},
		{"special token missing", []modelEdit{replaceIn("vocab.txt", "[MASK]\n", "")}, nil,
			[]string{"MODEL/vocab.txt", "lacks special tokens [MASK]"}},
		{"config vocab_size not the checkpoint's", []modelEdit{replaceIn("config.json", `"vocab_size":17`, `"vocab_size":30`)}, nil,
			[]string{"MODEL/model.safetensors", "MODEL/config.json", "wrong shape bert.embeddings.word_embeddings.weight", "vocab_size × hidden_size"}},
		{"config field of the wrong type", []modelEdit{replaceIn("config.json", `"hidden_size":32`, `"hidden_size":"32"`)}, nil,
			[]string{"MODEL/config.json", `field "hidden_size"`, "want an integer"}},
		{"pairs with type_vocab_size 1", []modelEdit{oneTokenType}, nil,
			[]string{"task afqmc", "token type 1", "MODEL/config.json has type_vocab_size 1"}},
		{"safetensors truncated", []modelEdit{withWeights("model.safetensors", func(t *testing.T, dir string) []byte {
			b := readModelFile(t, dir, "model.safetensors")
			return b[:len(b)-100]
		})}, nil, []string{"MODEL/model.safetensors", "truncated", `tensor "`}},
		{"git lfs pointer as pytorch_model.bin", []modelEdit{withWeights("pytorch_model.bin", func(*testing.T, string) []byte {
			return []byte("version https://git-lfs.github.com/spec/v1\noid sha256:0c1d\nsize 49296\n")
		})}, nil, []string{"MODEL/pytorch_model.bin", "not a PyTorch checkpoint", "Git LFS pointer"}},
		{"garbage pytorch_model.bin", []modelEdit{withWeights("pytorch_model.bin", func(*testing.T, string) []byte { return garbage })}, nil,
			[]string{"MODEL/pytorch_model.bin", "not a PyTorch checkpoint"}},
		{"zip checkpoint truncated", []modelEdit{torchModel("bin"), withWeights("pytorch_model.bin", func(t *testing.T, dir string) []byte {
			return readModelFile(t, filepath.Join(tinyModel, "bin"), "pytorch_model.bin")[:60000]
		})}, nil, []string{"MODEL/pytorch_model.bin", "damaged zip archive"}},
		{"legacy checkpoint truncated", []modelEdit{torchModel("legacy"), withWeights("pytorch_model.bin", func(t *testing.T, dir string) []byte {
			b := readModelFile(t, filepath.Join(tinyModel, "legacy"), "pytorch_model.bin")
			return b[:len(b)-50]
		})}, nil, []string{"MODEL/pytorch_model.bin", "truncated: tensor \"bert.pooler.dense.bias\" needs"}},
		{"diverges", nil, []string{"lr: 3.0e-3", "lr: 1.0e+3"}, []string{"step ", "diverged: training loss", "first step's"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p, err := fixture.Write(dir)
			if err != nil {
				t.Fatal(err)
			}
			apply(t, p.Model, c.edits)
			cfg := strings.NewReplacer(append([]string{"seeds: [1, 2]", "seeds: [1]"}, c.cfg...)...).Replace(fixture.Config)
			if err := os.WriteFile(p.Config, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runBench(t, "run", "-c", p.Config, "--only", "afqmc/fl-tuning/*")
			if code == 0 {
				t.Fatalf("exit 0\n%s%s", stdout, stderr)
			}
			wants := make([]string, len(c.want))
			for i, w := range c.want {
				wants[i] = strings.ReplaceAll(w, "MODEL/", p.Model+string(filepath.Separator))
			}
			checkMessage(t, "console", stdout+stderr)
			files, err := filepath.Glob(filepath.Join(dir, "results", "cells", "*.json"))
			if err != nil || len(files) != 1 {
				t.Fatalf("result files %v (%v), want one\n%s", files, err, stderr)
			}
			var res cellResult
			if err := json.Unmarshal(readModelFile(t, filepath.Dir(files[0]), filepath.Base(files[0])), &res); err != nil {
				t.Fatal(err)
			}
			if res.Status != "failed" {
				t.Errorf("cell status %q, want failed", res.Status)
			}
			checkMessage(t, "the cell's error", res.Error, wants...)
			checkMessage(t, "console", stderr, append([]string{"failed"}, wants...)...)
		})
	}
}

func TestEmbedBadBackbone(t *testing.T) {
	garbage := []byte("<html><head><title>404 Not Found</title></head></html>\n")
	cases := []struct {
		name  string
		from  string // fixture model: "" for the scale-out fixture (safetensors), else a tiny variant
		edits []modelEdit
		args  []string
		want  []string
	}{
		{"vocab larger than vocab_size", "bin", []modelEdit{func(t *testing.T, dir string) {
			writeModelFile(t, dir, "vocab.txt", append(readModelFile(t, dir, "vocab.txt"), "龘\n龖\n"...))
		}}, nil, []string{"MODEL/vocab.txt has 66 tokens", "MODEL/config.json has vocab_size 64"}},
		{"html page as pytorch_model.bin", "bin", []modelEdit{withWeights("pytorch_model.bin", func(*testing.T, string) []byte { return garbage })}, nil,
			[]string{"MODEL/pytorch_model.bin", "not a PyTorch checkpoint", "HTML"}},
		{"torch zip as model.safetensors", "bin", []modelEdit{withWeights("model.safetensors", func(t *testing.T, dir string) []byte {
			return readModelFile(t, filepath.Join(tinyModel, "bin"), "pytorch_model.bin")
		})}, nil, []string{"MODEL/model.safetensors", "not a safetensors file"}},
		{"legacy storage cut short", "legacy", []modelEdit{withWeights("pytorch_model.bin", func(t *testing.T, dir string) []byte {
			b := readModelFile(t, filepath.Join(tinyModel, "legacy"), "pytorch_model.bin")
			return b[:len(b)-3000]
		})}, nil, []string{"MODEL/pytorch_model.bin", "truncated: tensor", "needs"}},
		{"config type_vocab_size not the checkpoint's", "bin", []modelEdit{replaceIn("config.json", `"type_vocab_size": 2`, `"type_vocab_size": 1`)}, nil,
			[]string{"MODEL/pytorch_model.bin", "MODEL/config.json", "bert.embeddings.token_type_embeddings.weight", "type_vocab_size × hidden_size"}},
		{"pair with type_vocab_size 1", "", []modelEdit{oneTokenType}, []string{"--pair", "甲乙", "丙丁"},
			[]string{"token type embeddings", "type_vocab_size 1", "index out of range"}},
		{"config not JSON", "bin", []modelEdit{func(t *testing.T, dir string) { writeModelFile(t, dir, "config.json", []byte("hidden_size = 32\n")) }}, nil,
			[]string{"MODEL/config.json", "not a JSON object"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "model")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if c.from == "" {
				if err := fixture.WriteModel(dir, 1); err != nil {
					t.Fatal(err)
				}
			} else {
				torchModel(c.from)(t, dir)
			}
			apply(t, dir, c.edits)
			args := c.args
			if args == nil {
				args = []string{"你好"}
			}
			code, stdout, stderr := runBench(t, append([]string{"embed", "--model", dir, "--device", "cpu"}, args...)...)
			if code == 0 {
				t.Fatalf("exit 0\n%s", stdout)
			}
			wants := make([]string, len(c.want))
			for i, w := range c.want {
				wants[i] = strings.ReplaceAll(w, "MODEL/", dir+string(filepath.Separator))
			}
			checkMessage(t, "bench embed's error", stderr, append([]string{"bench embed: "}, wants...)...)
		})
	}
}
