//go:build cgo

package model

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch/ts"
)

// parityTol is the acceptance bound on |Go − reference| (reference computed in float64).
const parityTol = 1e-5

var variants = []string{"bin", "safetensors", "legacy"}

// checkParity loads every variant under dir and compares eval-mode outputs with the references,
// with and without padding (padded rows compared at real positions only), then checks the
// prefix and FFN-branch hooks against their references.
func checkParity(t *testing.T, dir string) {
	defer t.Run("prefix", func(t *testing.T) { checkPrefixParity(t, dir) })
	defer t.Run("branch", func(t *testing.T) { checkBranchParity(t, dir) })
	ref := readRef(t, filepath.Join(dir, "reference.safetensors"))
	for _, v := range variants {
		t.Run(v, func(t *testing.T) {
			lock(t)
			enc, _, rep := loadModel(t, filepath.Join(dir, v))
			if len(rep.Initialised) != 0 {
				t.Errorf("Initialised = %v, want none", rep.Initialised)
			}
			for _, tag := range []string{"nopad", "pad"} {
				b := batchFrom(ref, tag)
				checkOutputs(t, v, tag, parityTol, ref, forwardEval(t, enc, b), realTokens(t, b.Mask))
			}
		})
	}
}

// checkOutputs compares out with the references ref[tag+".hidden"] (at the positions mask
// keeps) and, where the reference has one, ref[tag+".pooled"]: a model with a pooler must give
// a pooled output, one without must give none. name labels the model in the messages.
func checkOutputs(t *testing.T, name, tag string, tol float64, ref map[string]*ts.Tensor, out Output, mask func(row, pos int) bool) {
	t.Helper()
	dh := maxDiff(t, out.Hidden, ref[tag+".hidden"], mask)
	dp := 0.0
	if want, ok := ref[tag+".pooled"]; ok {
		if out.Pooled == nil {
			t.Fatalf("%s/%s: no pooled output, want one", name, tag)
		}
		dp = maxDiff(t, out.Pooled, want, nil)
	} else if out.Pooled != nil {
		t.Errorf("%s/%s: pooled output from a model without a pooler", name, tag)
	}
	t.Logf("%s/%s: max abs error hidden %.2e, pooled %.2e", name, tag, dh, dp)
	if dh > tol || dp > tol {
		t.Errorf("%s/%s: max abs error hidden %.2e, pooled %.2e > %g", name, tag, dh, dp, tol)
	}
}

func TestParityFixture(t *testing.T) { checkParity(t, fixture) }

// refPython is Debian's interpreter with torch; the python3 on PATH may lack torch.
const refPython = "/usr/bin/python3"

// freshReference runs testdata/script --out DIR --seed N with a random seed and returns DIR,
// so that parity is checked on weights and inputs the code has never seen. It skips the test
// in -short mode and where refPython cannot import torch.
func freshReference(t *testing.T, script string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs python3 with torch; skipped in -short mode")
	}
	if err := exec.Command(refPython, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s cannot import torch (%v): fresh-weight parity not checked", refPython, err)
	}
	seed := rand.Int63n(1 << 31)
	dir := t.TempDir()
	cmd := exec.Command(refPython, filepath.Join("testdata", script), "--out", dir, "--seed", fmt.Sprint(seed))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s --seed %d: %v\n%s", script, seed, err, out)
	}
	t.Logf("seed %d", seed)
	return dir
}

// TestParityFreshWeights checks parity on a model regenerated with a random seed.
func TestParityFreshWeights(t *testing.T) { checkParity(t, freshReference(t, "gen_reference.py")) }

func TestLoadReport(t *testing.T) {
	lock(t)
	_, _, rep := loadModel(t, filepath.Join(fixture, "bin"))
	wantUnused := []string{
		"bert.embeddings.position_ids",
		"cls.predictions.bias",
		"cls.predictions.decoder.bias",
		"cls.predictions.decoder.weight",
		"cls.predictions.transform.LayerNorm.bias",
		"cls.predictions.transform.LayerNorm.weight",
		"cls.predictions.transform.dense.bias",
		"cls.predictions.transform.dense.weight",
		"cls.seq_relationship.bias",
		"cls.seq_relationship.weight",
	}
	if !slices.Equal(rep.Unused, wantUnused) {
		t.Errorf("Unused = %v\nwant %v", rep.Unused, wantUnused)
	}
	// 5 embedding tensors, 16 per layer, 2 pooler.
	if want := 5 + 16*2 + 2; len(rep.Loaded) != want {
		t.Errorf("loaded %d tensors, want %d", len(rep.Loaded), want)
	}
	for _, n := range rep.Loaded {
		if !strings.HasPrefix(n, "bert.") {
			t.Errorf("loaded name %q lacks the bert. prefix", n)
		}
	}
}

func TestOpenDirErrors(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join(fixture, "bin", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no config", map[string]string{"model.safetensors": ""}, "config.json"},
		{"no weights", map[string]string{"config.json": string(cfg)}, "no model.safetensors or pytorch_model.bin"},
		{"sharded", map[string]string{"config.json": string(cfg), "model.safetensors.index.json": "{}"}, "sharded"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range c.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := OpenDir(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("OpenDir error = %v, want one containing %q", err, c.want)
			}
		})
	}
	d, err := OpenDir(filepath.Join(fixture, "safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(d.WeightsFile) != "model.safetensors" || filepath.Base(d.VocabFile) != "vocab.txt" {
		t.Errorf("OpenDir = %+v", d)
	}
}
