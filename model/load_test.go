//go:build cgo

package model

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// checkpointDir writes an HF directory holding the given config.json and the tensors as
// model.safetensors, and opens it.
func checkpointDir(t *testing.T, config []byte, tensors map[string]*ts.Tensor) *Dir {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), config, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteSafetensors(filepath.Join(dir, "model.safetensors"), tensors); err != nil {
		t.Fatal(err)
	}
	return openDir(t, dir)
}

// fixtureTensors reads the fixture's prefix-free safetensors checkpoint.
func fixtureTensors(t *testing.T) map[string]*ts.Tensor {
	t.Helper()
	m, err := ReadSafetensors(filepath.Join(fixture, "safetensors", "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropMap(m) })
	return m
}

// newTinyEncoder builds the fixture's encoder without loading its weights.
func newTinyEncoder(t *testing.T) (*Encoder, *nn.VarStore) {
	t.Helper()
	return encoderFor(t, openDir(t, filepath.Join(fixture, "safetensors")))
}

func TestVariableNamesMatchCheckpoint(t *testing.T) {
	lock(t)
	_, vs := newTinyEncoder(t)
	file := fixtureTensors(t)
	vars := vs.Variables()
	for name := range file {
		if _, ok := vars["bert."+name]; !ok {
			t.Errorf("checkpoint tensor %s has no variable bert.%s", name, name)
		}
	}
	if len(vars) != len(file) {
		t.Errorf("%d variables, checkpoint has %d tensors", len(vars), len(file))
	}
}

func TestLoadWeightsListsAllProblems(t *testing.T) {
	lock(t)
	file := fixtureTensors(t)
	wrong, err := ts.Zeros([]int64{10, 32}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(wrong)
	bad := map[string]*ts.Tensor{}
	for k, v := range file {
		bad[k] = v
	}
	delete(bad, "encoder.layer.1.output.dense.weight")
	delete(bad, "pooler.dense.bias")
	bad["embeddings.word_embeddings.weight"] = wrong
	bad["bert.pooler.dense.weight"] = file["pooler.dense.weight"] // same variable twice
	d := checkpointDir(t, readFixture(t, "safetensors", "config.json"), bad)

	_, vs := newTinyEncoder(t)
	before := floats(t, mustGet(t, vs, "bert.embeddings.LayerNorm.bias"))
	_, err = LoadWeights(d, vs)
	if err == nil {
		t.Fatal("LoadWeights accepted a checkpoint with missing and misshaped tensors")
	}
	for _, want := range []string{
		d.WeightsFile,
		"4 problems",
		"missing bert.encoder.layer.1.output.dense.weight",
		"missing bert.pooler.dense.bias",
		"wrong shape bert.embeddings.word_embeddings.weight: checkpoint [10 32], model [64 32]",
		`duplicate bert.pooler.dense.weight: checkpoint has both "bert.pooler.dense.weight" and "pooler.dense.weight"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// Nothing is copied when the checkpoint does not fit.
	if after := floats(t, mustGet(t, vs, "bert.embeddings.LayerNorm.bias")); !equalFloats(before, after) {
		t.Error("a failed load changed variables")
	}
}

func TestLoadWeightsHeads(t *testing.T) {
	lock(t)
	file := fixtureTensors(t)
	head, err := ts.Ones([]int64{3, 32}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(head)
	withHead := map[string]*ts.Tensor{"classifier.weight": head}
	for k, v := range file {
		withHead[k] = v
	}
	d := checkpointDir(t, readFixture(t, "safetensors", "config.json"), withHead)
	_, vs := newTinyEncoder(t)
	root := vs.Root()
	if _, err := newLinear(root.Sub("classifier"), 32, 3, 0.02); err != nil {
		t.Fatal(err)
	}
	if _, err := newVar(root.Sub("prefix"), "embedding", []int64{4, 32}, initNormal, 0.02); err != nil {
		t.Fatal(err)
	}
	rep, err := LoadWeights(d, vs)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rep.Initialised, ","); got != "classifier.bias,prefix.embedding" {
		t.Errorf("Initialised = %v", rep.Initialised)
	}
	for _, v := range floats(t, mustGet(t, vs, "classifier.weight")) {
		if v != 1 {
			t.Fatal("classifier.weight was not loaded from the checkpoint")
		}
	}
}

func mustGet(t *testing.T, vs *nn.VarStore, name string) *ts.Tensor {
	t.Helper()
	v, err := vs.Root().Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// expectBinError fails the test unless reading path gives an error that names the file.
func expectBinError(t *testing.T, path, what string) {
	t.Helper()
	m, err := ReadTorchStateDict(path)
	if err == nil {
		dropMap(m)
		t.Fatalf("%s accepted", what)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("%s: error %q does not name the file", what, err)
	}
}

func TestReadTorchStateDictCorrupt(t *testing.T) {
	lock(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(2))
	for _, variant := range []string{"bin", "legacy"} {
		full, err := os.ReadFile(filepath.Join(fixture, variant, "pytorch_model.bin"))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, variant+".bin")
		// Random cuts, plus for the legacy file dense cuts over the last storage buffer (2 KB):
		// there gotch's own reader returned a short final read without an error.
		var cuts []int
		for i := 0; i < 30; i++ {
			cuts = append(cuts, rng.Intn(len(full)))
		}
		if variant == "legacy" {
			for n := len(full) - 2100; n < len(full); n += 3 {
				cuts = append(cuts, n)
			}
			cuts = append(cuts, len(full)-1)
		}
		for _, n := range cuts {
			if err := os.WriteFile(path, full[:n], 0o644); err != nil {
				t.Fatal(err)
			}
			expectBinError(t, path, fmt.Sprintf("%s truncated to %d of %d bytes", variant, n, len(full)))
		}
		if variant == "bin" {
			// Zip members carry CRCs, so any flipped byte inside one is detected.
			for i := 0; i < 30; i++ {
				flipped := bytes.Clone(full)
				flipped[rng.Intn(len(full)-200)] ^= 0x5a
				if err := os.WriteFile(path, flipped, 0o644); err != nil {
					t.Fatal(err)
				}
				if m, err := ReadTorchStateDict(path); err == nil {
					dropMap(m) // a flip in zip padding or an unused field can be harmless
				} else if !strings.Contains(err.Error(), path) {
					t.Fatalf("error %q does not name the file", err)
				}
			}
		}
	}
	garbage := filepath.Join(dir, "garbage.bin")
	if err := os.WriteFile(garbage, []byte("this is not a checkpoint at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	expectBinError(t, garbage, "garbage")

	// A valid torch zip whose pickle is a list, not a state dict.
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range map[string]string{"archive/data.pkl": "\x80\x02]q\x00.", "archive/version": "3\n"} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, "list.bin")
	if err := os.WriteFile(list, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	expectBinError(t, list, "non-dict pickle")
}

func TestLoadWeightsCorruptFile(t *testing.T) {
	lock(t)
	full, err := os.ReadFile(filepath.Join(fixture, "bin", "pytorch_model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"config.json", "vocab.txt"} {
		body, err := os.ReadFile(filepath.Join(fixture, "bin", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "pytorch_model.bin"), full[:len(full)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	d := openDir(t, dir)
	_, vs := newTinyEncoder(t)
	if _, err := LoadWeights(d, vs); err == nil || !strings.Contains(err.Error(), d.WeightsFile) {
		t.Fatalf("LoadWeights on a truncated file: %v", err)
	}
}
