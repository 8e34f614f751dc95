package bench

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/internal/tensortest"
)

// A cell keeps its trained tensors, and bench predict rebuilds the model from them and the
// backbone and reproduces the cell's own test predictions exactly, for methods whose tensors
// sit beside the encoder (LoRA, prefixes) and inside it (BitFit's biases).
func TestPredictReproducesTheCellsTestPredictions(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny models")
	}
	tensortest.Lock(t)
	modelDir, dataDir, out := t.TempDir(), t.TempDir(), t.TempDir()
	writeTinyModel(t, modelDir)
	writeTinyAFQMC(t, dataDir, 1)
	cells := tinyCells(t, "lora", "p-tuning-v2", "bitfit", "fine-tuning")
	sum, err := Run(context.Background(), RunOptions{Cells: cells, Out: out, ModelDir: modelDir, DataDir: dataDir, Device: "cpu", Threads: 1, Stderr: io.Discard})
	if err != nil || sum.Ran != len(cells) || sum.Failed != 0 {
		t.Fatalf("run: %+v, %v", sum, err)
	}
	store := &results.Store{Dir: out}
	for _, cell := range cells {
		r, err := store.Read(cell.Key())
		if err != nil {
			t.Fatal(err)
		}
		wpath := filepath.Join(out, r.Weights)
		st, err := os.Stat(wpath)
		if r.Weights == "" || err != nil || st.Size() != r.WeightsBytes {
			t.Fatalf("%s: weights %q (%d bytes): %v", cell.Method, r.Weights, r.WeightsBytes, err)
		}
		meta, got, err := ReadWeightsMeta(wpath)
		if err != nil {
			t.Fatal(err)
		}
		if got.Key() != cell.Key() || meta[MetaMethod] != cell.Method || meta[MetaTask] != "afqmc" || meta[MetaBackbone] != modelDir || meta[MetaFingerprint] == "" || !strings.HasPrefix(meta[MetaOptions], "{") {
			t.Fatalf("%s: metadata %v", cell.Method, meta)
		}
		predOut := t.TempDir()
		_, err = Predict(context.Background(), PredictOptions{From: store.ResultPath(cell.Key()), DataDir: dataDir, Out: predOut, Device: "cpu", Threads: 1})
		if cell.Method == "fine-tuning" {
			// Its backbone is not kept by default: the file says so and predict refuses it.
			if meta[MetaContents] != ContentsHeadOnly || err == nil || !strings.Contains(err.Error(), "--save-backbone") {
				t.Fatalf("fine-tuning: contents %q, predict error %v", meta[MetaContents], err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", cell.Method, err)
		}
		want, err := os.ReadFile(filepath.Join(out, r.Predictions))
		if err != nil {
			t.Fatal(err)
		}
		gotPred, err := os.ReadFile(filepath.Join(predOut, filepath.Base(r.Predictions)))
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || string(gotPred) != string(want) {
			t.Fatalf("%s: predict wrote\n%s\nthe cell wrote\n%s", cell.Method, gotPred, want)
		}
		// Dev predictions of the kept weights score the cell's best dev evaluation.
		p, err := Predict(context.Background(), PredictOptions{From: wpath, DataDir: dataDir, Split: "dev", Out: predOut, Device: "cpu", Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		if p.Metrics["accuracy"] != r.Best["accuracy"] {
			t.Fatalf("%s: dev accuracy %v, the cell's best %v", cell.Method, p.Metrics, r.Best)
		}
	}
}

// Fine-tuning keeps its whole model when asked, and then predict reproduces it too.
func TestPredictFineTuningWithSavedBackbone(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny models")
	}
	tensortest.Lock(t)
	modelDir, dataDir, out := t.TempDir(), t.TempDir(), t.TempDir()
	writeTinyModel(t, modelDir)
	writeTinyAFQMC(t, dataDir, 1)
	cells := tinyCells(t, "fine-tuning")
	if _, err := Run(context.Background(), RunOptions{Cells: cells, Out: out, ModelDir: modelDir, DataDir: dataDir, Device: "cpu", Threads: 1, SaveBackbone: true, Stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	r, err := (&results.Store{Dir: out}).Read(cells[0].Key())
	if err != nil {
		t.Fatal(err)
	}
	meta, _, err := ReadWeightsMeta(filepath.Join(out, r.Weights))
	if err != nil || meta[MetaContents] != ContentsBackboneHead {
		t.Fatalf("contents %q: %v", meta[MetaContents], err)
	}
	predOut := t.TempDir()
	if _, err := Predict(context.Background(), PredictOptions{From: filepath.Join(out, "cells", cells[0].Key()+".json"), DataDir: dataDir, Out: predOut, Device: "cpu", Threads: 1}); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(out, r.Predictions))
	got, _ := os.ReadFile(filepath.Join(predOut, filepath.Base(r.Predictions)))
	if len(want) == 0 || string(got) != string(want) {
		t.Fatalf("predict wrote\n%s\nthe cell wrote\n%s", got, want)
	}
}

// A backbone other than the one the weights were trained on is refused, naming both.
func TestPredictRefusesAnotherBackbone(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny models")
	}
	tensortest.Lock(t)
	modelDir, dataDir, out := t.TempDir(), t.TempDir(), t.TempDir()
	writeTinyModel(t, modelDir)
	writeTinyAFQMC(t, dataDir, 1)
	cells := tinyCells(t, "lora")
	cells[0].Hyper.Epochs = 1
	cells[0].ID = cells[0].ContentID()
	if _, err := Run(context.Background(), RunOptions{Cells: cells, Out: out, ModelDir: modelDir, DataDir: dataDir, Device: "cpu", Threads: 1, Stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	writeTinyModel(t, other)
	// Same shapes, another config file: a different checkpoint as far as the fingerprint knows.
	cfgPath := filepath.Join(other, "config.json")
	var cfg map[string]any
	raw, err := os.ReadFile(cfgPath)
	must(t, err)
	must(t, json.Unmarshal(raw, &cfg))
	cfg["initializer_range"] = 0.03
	raw, err = json.Marshal(cfg)
	must(t, err)
	must(t, os.WriteFile(cfgPath, raw, 0o644))
	_, err = Predict(context.Background(), PredictOptions{From: filepath.Join(out, "cells", cells[0].Key()+".json"), ModelDir: other, DataDir: dataDir, Out: t.TempDir(), Device: "cpu", Threads: 1})
	if err == nil || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), modelDir) || !strings.Contains(err.Error(), "not the one") {
		t.Fatalf("error %v; want one naming %s and %s", err, other, modelDir)
	}
}
