package plan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestFreezeRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := &Config{Path: "experiments.yaml", Backbone: "builtin", DataDir: filepath.Join(dir, "data"), Out: "results", Device: "auto", Threads: 2}
	cells := frozenCells("fine-tuning", "p-tuning-v2", "fl-tuning")
	f, err := Freeze(cfg, cells, "")
	if err != nil {
		t.Fatal(err)
	}
	if f.Backbone != "builtin" || !filepath.IsAbs(f.Out) || !filepath.IsAbs(f.Config) || f.DataDir != cfg.DataDir {
		t.Errorf("paths not resolved as documented: %+v", f)
	}
	if g, _ := Freeze(cfg, cells, filepath.Join(dir, "other")); g.Out != filepath.Join(dir, "other") {
		t.Errorf("out override: %q", g.Out)
	}
	p := filepath.Join(dir, "sub", "plan.json")
	if err := WriteFrozen(p, f); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFrozen(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cellIDs(got.Cells), cellIDs(cells)) || got.Out != f.Out || got.Threads != 2 || got.Device != "auto" {
		t.Errorf("round trip changed the plan:\n%+v\n%+v", got, f)
	}
	// Freezing the same plan twice writes the same bytes: re-freezing is harmless.
	b1, _ := os.ReadFile(p)
	if err := WriteFrozen(p, f); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(p); string(b1) != string(b2) {
		t.Error("freezing twice gave different files")
	}
	if _, err := Freeze(cfg, nil, ""); err == nil {
		t.Error("freezing no cells: no error")
	}
}

// frozenCells are AFQMC cells of the named methods, with their ids.
func frozenCells(methods ...string) []Cell {
	var cells []Cell
	for _, m := range methods {
		c := Cell{Task: "afqmc", Method: m, Setting: "full", Seed: 7, Split: "full", MethodOptions: json.RawMessage(`{}`),
			Hyper: Hyper{MaxLen: 24, BatchSize: 16, EvalBatchSize: 32, Epochs: 3, LR: 3e-3, WeightDecay: 0.01, Accumulate: 1, HeadDropout: 0.1, Clip: 1}}
		c.ID = c.ContentID()
		cells = append(cells, c)
	}
	return cells
}

func cellIDs(cs []Cell) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestReadFrozenRejectsBadPlans(t *testing.T) {
	cells := frozenCells("fine-tuning", "fl-tuning")
	good := Frozen{Schema: FrozenSchema, Config: "/c.yaml", Backbone: "builtin", DataDir: "builtin", Out: "/r", Device: "cpu", Cells: cells}
	encode := func(edit func(*Frozen)) string {
		f := good
		f.Cells = append([]Cell(nil), good.Cells...)
		edit(&f)
		b, _ := json.MarshalIndent(f, "", "  ")
		return string(b)
	}
	tests := []struct {
		name, body, want string
	}{
		{"ok", encode(func(*Frozen) {}), ""},
		{"not json", "{\n  \"schema\": 1,\n  oops\n}", "line 3"},
		{"no schema", `{"cells": []}`, "no schema field"},
		{"other schema", `{"schema": 99}`, "schema 99, this build reads 1"},
		{"unknown field", strings.Replace(encode(func(*Frozen) {}), `"threads"`, `"thread"`, 1), `unknown field "thread"`},
		{"wrong type", strings.Replace(encode(func(*Frozen) {}), `"threads": 0`, `"threads": "two"`, 1), "line "},
		{"empty out", encode(func(f *Frozen) { f.Out = "" }), "field out is empty"},
		{"negative threads", encode(func(f *Frozen) { f.Threads = -1 }), "threads is -1"},
		{"no cells", encode(func(f *Frozen) { f.Cells = nil }), "field cells is empty"},
		{"edited cell", encode(func(f *Frozen) { f.Cells[1].Hyper.LR = 1 }), "cells[1] (afqmc/fl-tuning/full s7): id"},
		{"missing task", encode(func(f *Frozen) { f.Cells[0].Task = "" }), "cells[0]: task, method and setting"},
		{"duplicate", encode(func(f *Frozen) { f.Cells[1] = f.Cells[0] }), "cells[1] repeats cells[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "plan.json")
			if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadFrozen(p)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("no error, want %q", tc.want)
			case tc.want != "" && (!strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p)):
				t.Fatalf("error %q does not name the file and %q", err, tc.want)
			}
		})
	}
	if _, err := ReadFrozen(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}
