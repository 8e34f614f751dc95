//go:build cgo

package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/model"
)

// tinyModel is the model package's fixture: a random 2-layer BERT with a CJK vocab.txt, and
// reference outputs computed independently in PyTorch (model/testdata/gen_reference.py).
var tinyModel = filepath.Join("..", "..", "model", "testdata", "tiny")

func TestEmbed(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ref, err := model.ReadSafetensors(filepath.Join(tinyModel, "reference.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	values := func(name string) []float32 {
		x := ref[name]
		v := make([]float32, x.Numel())
		if err := x.CopyData(v, x.Numel()); err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name, tag string
		args      []string
		ids       []int64
		types     []int64
		tokens    []string
		offsets   [][2]int
	}{
		{"single", "embed_single", []string{"你好世界"}, []int64{2, 5, 6, 7, 8, 3}, []int64{0, 0, 0, 0, 0, 0},
			[]string{"[CLS]", "你", "好", "世", "界", "[SEP]"}, [][2]int{{0, 0}, {0, 1}, {1, 2}, {2, 3}, {3, 4}, {0, 0}}},
		{"pair", "embed_pair", []string{"--pair", "你好", "世界"}, []int64{2, 5, 6, 3, 7, 8, 3}, []int64{0, 0, 0, 0, 1, 1, 1},
			[]string{"[CLS]", "你", "好", "[SEP]", "世", "界", "[SEP]"}, [][2]int{{0, 0}, {0, 1}, {1, 2}, {0, 0}, {0, 1}, {1, 2}, {0, 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"embed", "--model", filepath.Join(tinyModel, "bin"), "--device", "cpu"}, c.args...)
			code, stdout, stderr := runBench(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stderr, "checkpoint tensors not used: bert.embeddings.position_ids, cls.predictions.bias") {
				t.Errorf("stderr lacks the unused-tensor warning: %q", stderr)
			}
			if strings.Count(strings.TrimSpace(stdout), "\n") != 0 {
				t.Errorf("want one JSON line, got %q", stdout)
			}
			var got embedOutput
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.InputIDs, c.ids) || !slices.Equal(got.TokenTypeIDs, c.types) ||
				!slices.Equal(got.Tokens, c.tokens) || !slices.Equal(got.Offsets, c.offsets) {
				t.Errorf("encoding = %v %v %v %v", got.InputIDs, got.TokenTypeIDs, got.Tokens, got.Offsets)
			}
			hidden := values(c.tag + ".hidden") // (1, T, H): [CLS] is the first H values
			for _, cmp := range []struct {
				name      string
				got, want []float32
			}{{"cls", got.CLS, hidden[:32]}, {"pooled", got.Pooled, values(c.tag + ".pooled")}} {
				if len(cmp.got) != 32 {
					t.Fatalf("%s has %d values, want 32", cmp.name, len(cmp.got))
				}
				for i := range cmp.got {
					if d := math.Abs(float64(cmp.got[i] - cmp.want[i])); d > 1e-5 {
						t.Fatalf("%s[%d] = %v, reference %v", cmp.name, i, cmp.got[i], cmp.want[i])
					}
				}
			}
		})
	}
	for _, x := range ref {
		x.MustDrop()
	}
}

func TestEmbedErrors(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dir := filepath.Join(tinyModel, "safetensors")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no model", []string{"embed", "你好"}, 2, "--model"},
		{"no text", []string{"embed", "--model", dir}, 2, "1 text(s), got 0"},
		{"pair needs two", []string{"embed", "--model", dir, "--pair", "你好"}, 2, "2 text(s), got 1"},
		{"bad dir", []string{"embed", "--model", filepath.Join(t.TempDir(), "none"), "你好"}, 1, "open model dir"},
		{"bad device", []string{"embed", "--model", dir, "--device", "tpu", "你好"}, 1, "tpu"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runBench(t, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, c.code, c.want)
			}
		})
	}
}

// archModels is the model package's NEZHA and RoFormer fixture (model/testdata/gen_arch_reference.py).
var archModels = filepath.Join("..", "..", "model", "testdata", "arch")

// TestEmbedArchitectures runs `bench embed` on the NEZHA and RoFormer fixtures and compares
// [CLS] and the pooled output with the references; RoFormer has no pooler, so its output has
// no "pooled" key.
func TestEmbedArchitectures(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, c := range []struct {
		dir    string
		pooled bool
		unused string
	}{
		{"nezha", true, "relative_positions_encoding.positions_encoding"},
		{"nezha-legacy", true, ""},
		{"roformer", false, "encoder.embed_positions.weight"},
		{"roformer-project", false, ""},
	} {
		t.Run(c.dir, func(t *testing.T) {
			dir := filepath.Join(archModels, c.dir)
			ref, err := model.ReadSafetensors(filepath.Join(dir, "reference.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				for _, x := range ref {
					x.MustDrop()
				}
			}()
			values := func(name string) []float32 {
				x := ref[name]
				v := make([]float32, x.Numel())
				if err := x.CopyData(v, x.Numel()); err != nil {
					t.Fatal(err)
				}
				return v
			}
			for tag, args := range map[string][]string{"embed_single": {"你好世界"}, "embed_pair": {"--pair", "你好", "世界"}} {
				code, stdout, stderr := runBench(t, append([]string{"embed", "--model", dir, "--device", "cpu"}, args...)...)
				if code != 0 {
					t.Fatalf("%s: exit %d: %s", tag, code, stderr)
				}
				if c.unused != "" && !strings.Contains(stderr, c.unused) {
					t.Errorf("%s: stderr lacks the unused %s: %q", tag, c.unused, stderr)
				}
				var got embedOutput
				if err := json.Unmarshal([]byte(stdout), &got); err != nil {
					t.Fatal(err)
				}
				if want := ints(t, ref[tag+".input_ids"]); !slices.Equal(got.InputIDs, want) {
					t.Fatalf("%s: ids %v, reference %v", tag, got.InputIDs, want)
				}
				cmps := []struct {
					name      string
					got, want []float32
				}{{"cls", got.CLS, values(tag + ".hidden")[:32]}}
				if c.pooled {
					cmps = append(cmps, struct {
						name      string
						got, want []float32
					}{"pooled", got.Pooled, values(tag + ".pooled")})
				} else if strings.Contains(stdout, `"pooled"`) {
					t.Errorf("%s: output has a pooled key for a model without a pooler: %s", tag, stdout)
				}
				for _, cmp := range cmps {
					if len(cmp.got) != 32 {
						t.Fatalf("%s: %s has %d values, want 32", tag, cmp.name, len(cmp.got))
					}
					for i := range cmp.got {
						if d := math.Abs(float64(cmp.got[i] - cmp.want[i])); d > 1e-4 {
							t.Fatalf("%s: %s[%d] = %v, reference %v", tag, cmp.name, i, cmp.got[i], cmp.want[i])
						}
					}
				}
			}
		})
	}
}

// ints reads an int64 tensor's values.
func ints(t *testing.T, x *ts.Tensor) []int64 {
	t.Helper()
	v := make([]int64, x.Numel())
	if err := x.CopyData(v, x.Numel()); err != nil {
		t.Fatal(err)
	}
	return v
}
