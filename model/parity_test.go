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
				out := forwardEval(t, enc, b)
				dh := maxDiff(t, out.Hidden, ref[tag+".hidden"], realTokens(t, b.Mask))
				dp := maxDiff(t, out.Pooled, ref[tag+".pooled"], nil)
				t.Logf("%s/%s: max abs error hidden %.2e, pooled %.2e", v, tag, dh, dp)
				if dh > parityTol || dp > parityTol {
					t.Errorf("%s/%s: max abs error hidden %.2e, pooled %.2e > %g", v, tag, dh, dp, parityTol)
				}
			}
		})
	}
}

func TestParityFixture(t *testing.T) { checkParity(t, fixture) }

// refPython is Debian's interpreter with torch; the python3 on PATH may lack torch.
const refPython = "/usr/bin/python3"

// TestParityFreshWeights regenerates the model with a random seed, so parity is checked on
// weights and inputs the code has never seen.
func TestParityFreshWeights(t *testing.T) {
	if testing.Short() {
		t.Skip("needs python3 with torch; skipped in -short mode")
	}
	if err := exec.Command(refPython, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s cannot import torch (%v): fresh-weight parity not checked", refPython, err)
	}
	seed := rand.Int63n(1 << 31)
	dir := t.TempDir()
	cmd := exec.Command(refPython, filepath.Join("testdata", "gen_reference.py"), "--out", dir, "--seed", fmt.Sprint(seed))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_reference.py --seed %d: %v\n%s", seed, err, out)
	}
	t.Logf("seed %d", seed)
	checkParity(t, dir)
}

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
