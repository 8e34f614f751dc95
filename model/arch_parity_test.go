//go:build cgo

package model

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// archFixture is the committed NEZHA and RoFormer models written by
// testdata/gen_arch_reference.py --seed 1.
var archFixture = filepath.Join("testdata", "arch")

// archModels are the model directories gen_arch_reference.py writes, with the checkpoint
// tensors each must leave unused (buffers the encoder computes itself).
var archModels = []struct {
	name, arch string
	unused     []string
}{
	{"nezha", ArchNEZHA, []string{
		"nezha.encoder.layer.0.attention.self.relative_positions_encoding.positions_encoding",
		"nezha.encoder.layer.1.attention.self.relative_positions_encoding.positions_encoding"}},
	{"nezha-legacy", ArchNEZHA, nil},
	{"roformer", ArchRoFormer, []string{"encoder.embed_positions.weight"}},
	{"roformer-project", ArchRoFormer, nil},
}

// archParityTol bounds |Go − reference| for the NEZHA and RoFormer references (float64).
const archParityTol = 1e-4

// checkArchParity loads every model under dir and compares eval-mode outputs with its
// references: plain runs with and without padding, prefix runs and an FFN branch run.
func checkArchParity(t *testing.T, dir string) {
	for _, m := range archModels {
		t.Run(m.name, func(t *testing.T) {
			lock(t)
			path := filepath.Join(dir, m.name)
			ref := readRef(t, filepath.Join(path, "reference.safetensors"))
			enc, vs, rep := loadModel(t, path)
			if enc.Cfg.Arch() != m.arch {
				t.Fatalf("architecture %q, want %q", enc.Cfg.Arch(), m.arch)
			}
			if len(rep.Initialised) != 0 {
				t.Errorf("Initialised = %v, want none", rep.Initialised)
			}
			if !slices.Equal(rep.Unused, m.unused) {
				t.Errorf("Unused = %v, want %v", rep.Unused, m.unused)
			}
			for name := range vs.Variables() {
				if !strings.HasPrefix(name, m.arch+".") {
					t.Errorf("variable %s is outside the %s namespace", name, m.arch)
				}
			}
			compare := func(tag string, out Output, mask func(row, pos int) bool) {
				t.Helper()
				checkOutputs(t, m.name, tag, archParityTol, ref, out, mask)
			}
			for _, tag := range []string{"nopad", "pad"} {
				b := batchFrom(ref, tag)
				compare(tag, forwardEval(t, enc, b), realTokens(t, b.Mask))
			}
			b := batchFrom(ref, "pad")
			real := realTokens(t, b.Mask)
			for _, shift := range []bool{false, true} {
				tag := map[bool]string{true: "pad.prefix_shift", false: "pad.prefix_noshift"}[shift]
				p := &refPrefix{keys: ref["prefix.keys"], values: ref["prefix.values"], shift: shift}
				enc.SetKVPrefix(p)
				if _, ok := ref[tag+".hidden"]; !ok {
					// NEZHA: relative positions cannot shift.
					if _, err := enc.Forward(b, false); err == nil || !strings.Contains(err.Error(), "shifted positions") {
						t.Errorf("%s: shifted prefix gave error %v, want a refusal", tag, err)
					}
					continue
				}
				compare(tag, forwardEval(t, enc, b), real)
			}
			enc.SetKVPrefix(nil)
			setBranch(t, enc, &refBranch{ref: ref})
			compare("pad.branch", forwardEval(t, enc, b), real)
		})
	}
}

func TestArchParityFixture(t *testing.T) { checkArchParity(t, archFixture) }

// TestArchParityFresh checks parity on models regenerated with a random seed.
func TestArchParityFresh(t *testing.T) {
	checkArchParity(t, freshReference(t, "gen_arch_reference.py"))
}

// TestArchLoadErrors checks that a NEZHA or RoFormer checkpoint that does not fit its config
// fails with every problem named: the file, the tensor and the config.json field.
func TestArchLoadErrors(t *testing.T) {
	lock(t)
	cases := []struct {
		model, config string // model fixture; a config.json line replacing the one with its key
		drop          []string
		want          []string
	}{
		{"nezha", "", []string{"nezha.pooler.dense.weight", "nezha.encoder.layer.1.output.LayerNorm.bias"},
			[]string{"2 problems", "missing nezha.pooler.dense.weight", "missing nezha.encoder.layer.1.output.LayerNorm.bias"}},
		{"roformer-project", `"embedding_size": 16,`, nil,
			[]string{"wrong shape roformer.embeddings.word_embeddings.weight", "vocab_size × embedding_size", "roformer.embeddings_project.weight", "hidden_size × embedding_size"}},
		{"nezha-legacy", `"model_type": "roformer",`, nil, []string{"missing roformer.embeddings.word_embeddings.weight"}},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			src := filepath.Join(archFixture, c.model)
			raw, err := os.ReadFile(filepath.Join(src, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			cfg := string(raw)
			if c.config != "" {
				key := c.config[:strings.Index(c.config, ":")]
				lines := strings.Split(cfg, "\n")
				for i, l := range lines {
					if strings.HasPrefix(strings.TrimSpace(l), key) {
						lines[i] = "  " + c.config
					}
				}
				cfg = strings.Join(lines, "\n")
			}
			tensors, err := ReadCheckpoint(openDir(t, src).WeightsFile)
			if err != nil {
				t.Fatal(err)
			}
			defer dropMap(tensors)
			for _, n := range c.drop {
				tsx.Drop(tensors[n])
				delete(tensors, n)
			}
			d := checkpointDir(t, []byte(cfg), tensors)
			_, vs := encoderFor(t, d)
			_, err = LoadWeights(d, vs)
			checkError(t, err, append([]string{filepath.Join(d.Path, "model.safetensors"), filepath.Join(d.Path, "config.json")}, c.want...)...)
		})
	}
}

// TestArchFrozenBF16 runs the NEZHA and RoFormer fixtures with the frozen backbone's products
// in bfloat16: the outputs stay within bf16 rounding of the float32 references.
func TestArchFrozenBF16(t *testing.T) {
	for _, name := range []string{"nezha", "roformer-project"} {
		t.Run(name, func(t *testing.T) {
			lock(t)
			path := filepath.Join(archFixture, name)
			ref := readRef(t, filepath.Join(path, "reference.safetensors"))
			enc, vs, _ := loadModel(t, path)
			for _, v := range vs.Variables() {
				if err := setRequiresGrad(&v, false); err != nil {
					t.Fatal(err)
				}
			}
			enc.SetFrozenBF16(true)
			defer enc.SetFrozenBF16(false)
			b := batchFrom(ref, "pad")
			out := forwardEval(t, enc, b)
			if d := maxDiff(t, out.Hidden, ref["pad.hidden"], realTokens(t, b.Mask)); d > 0.1 || d == 0 {
				t.Errorf("bf16 hidden differs from the float32 reference by %.2e, want bf16 rounding (0 < d ≤ 0.1)", d)
			}
		})
	}
}
