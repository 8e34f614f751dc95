//go:build cgo

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/scale/fixture"
)

// bench predict on the data a cell trained on writes the cell's own test predictions, from
// its result or its weights file; another backbone is refused, naming both.
func TestPredictReproducesARunCell(t *testing.T) {
	dir, p := tinyMatrix(t, strings.NewReplacer("seeds: [1, 2]", "seeds: [1]", "  fine-tuning: {}\n", "", "  fl-tuning: {options: {units: 8}}\n", "").Replace(fixture.Config))
	if code, stdout, stderr := runBench(t, "run", "-c", p.Config); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	key := "afqmc__p-tuning-v2__full__s1"
	resPath := filepath.Join(dir, "results", "cells", key+".json")
	r, err := (&results.Store{Dir: filepath.Join(dir, "results")}).Read(key)
	if err != nil || r == nil || r.Predictions == "" || r.Weights != filepath.Join("cells", key+".safetensors") || r.WeightsBytes <= 0 {
		t.Fatalf("result %+v: %v", r, err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "results", r.Predictions))
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{resPath, filepath.Join(dir, "results", r.Weights)} {
		out := t.TempDir()
		code, stdout, stderr := runBench(t, "predict", "--cell", from, "--data", p.Data, "--out", out, "--device", "cpu", "--threads", "1")
		if code != 0 || !strings.Contains(stdout, "afqmc/p-tuning-v2/full s1:") {
			t.Fatalf("predict --cell %s: exit %d\n%s%s", from, code, stdout, stderr)
		}
		got, err := os.ReadFile(filepath.Join(out, filepath.Base(r.Predictions)))
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || string(got) != string(want) {
			t.Fatalf("predict wrote\n%s\nthe cell wrote\n%s", got, want)
		}
	}

	// Another backbone: the fixture's model with another seed's weights, of another size.
	other := filepath.Join(dir, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fixture.WriteModel(other, 2); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(other, "config.json"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n")
	f.Close()
	code, stdout, stderr := runBench(t, "predict", "--cell", resPath, "--data", p.Data, "--model", other, "--out", t.TempDir(), "--device", "cpu")
	if code != 1 || !strings.Contains(stderr, other) || !strings.Contains(stderr, p.Model) || !strings.Contains(stderr, "not the one") {
		t.Fatalf("predict with another backbone: exit %d\n%s%s", code, stdout, stderr)
	}
}
