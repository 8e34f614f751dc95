package reports

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seeds makes one cell per accuracy, seeds 1, 2, ...
func seeds(task, method string, accs ...float64) []cell {
	var cs []cell
	for i, a := range accs {
		cs = append(cs, cell{task: task, method: method, seed: int64(i + 1), acc: a, f1: a - 5})
	}
	return cs
}

func concat(parts ...[]cell) []cell {
	var out []cell
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestCompare(t *testing.T) {
	base := concat(seeds("afqmc", "fl-tuning", 73, 74, 75.5), seeds("afqmc", "p-tuning-v2", 69, 70, 71), seeds("wsc10", "fl-tuning", 78, 80, 82))
	b, err := NewBaseline(loadStore(t, base), 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ acc, f1 string }
	tests := []struct {
		name    string
		current []cell
		want    map[string]want // task/method → verdicts
		warn    []string
	}{
		{
			// Seed noise of the size the baseline already shows is not a change.
			"noise", concat(seeds("afqmc", "fl-tuning", 73.5, 74.5, 75), seeds("afqmc", "p-tuning-v2", 70, 70.5, 69.5), seeds("wsc10", "fl-tuning", 77, 79.5, 81)),
			map[string]want{"afqmc/fl-tuning": {Same, Same}, "afqmc/p-tuning-v2": {Same, Same}, "wsc10/fl-tuning": {Same, Same}}, nil,
		},
		{
			// A broken method (learning rate 0) predicts the majority class: AFQMC's dev set
			// is 69% one class. A drop of 5.17 against a threshold of 3 × 0.89 = 2.67.
			"collapse", concat(seeds("afqmc", "fl-tuning", 69, 69, 69), seeds("afqmc", "p-tuning-v2", 69, 70, 71), seeds("wsc10", "fl-tuning", 78, 80, 82)),
			map[string]want{"afqmc/fl-tuning": {Regressed, Regressed}, "afqmc/p-tuning-v2": {Same, Same}, "wsc10/fl-tuning": {Same, Same}}, nil,
		},
		{
			// 4 points up with stds of 1: beyond max(1, 3 × 1) = 3.
			"improvement", concat(seeds("afqmc", "fl-tuning", 73, 74, 75.5), seeds("afqmc", "p-tuning-v2", 73, 74, 75), seeds("wsc10", "fl-tuning", 78, 80, 82)),
			map[string]want{"afqmc/p-tuning-v2": {Improved, Improved}}, nil,
		},
		{
			// One seed: the floor alone (1 point) decides, with a warning; WSC1.0 is missing.
			"one seed and a missing cell", concat(seeds("afqmc", "fl-tuning", 72), seeds("afqmc", "p-tuning-v2", 70.5)),
			map[string]want{"afqmc/fl-tuning": {Regressed, Regressed}, "afqmc/p-tuning-v2": {Same, Same}},
			[]string{"too few seeds: afqmc/fl-tuning/full has 3 baseline and 1 current seeds", "missing: wsc10/fl-tuning/full metric accuracy", "missing: wsc10/fl-tuning/full metric macro_f1"},
		},
		{
			"new cell", concat(base, seeds("tnews", "fl-tuning", 55, 56)),
			map[string]want{"afqmc/fl-tuning": {Same, Same}}, []string{"new: tnews/fl-tuning/full/accuracy is not in the baseline"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Compare(b, loadStore(t, tt.current))
			got := map[string]string{}
			for _, d := range c.Deltas {
				got[d.Task+"/"+d.Method+"/"+d.Metric] = d.Verdict
			}
			regressed := false
			for k, w := range tt.want {
				if got[k+"/accuracy"] != w.acc || got[k+"/macro_f1"] != w.f1 {
					t.Errorf("%s: accuracy %q, macro_f1 %q; want %q, %q", k, got[k+"/accuracy"], got[k+"/macro_f1"], w.acc, w.f1)
				}
				regressed = regressed || w.acc == Regressed
			}
			var re *RegressionError
			if err := c.Err(); errors.As(err, &re) != regressed {
				t.Errorf("Err() = %v, want a regression error: %v", err, regressed)
			}
			all := strings.Join(c.Warnings, "\n")
			for _, w := range tt.warn {
				if !strings.Contains(all, w) {
					t.Errorf("warnings lack %q:\n%s", w, all)
				}
			}
			if tt.warn == nil && len(c.Warnings) > 0 {
				t.Errorf("unexpected warnings:\n%s", all)
			}
		})
	}
}

func TestCompareThreshold(t *testing.T) {
	b := &Baseline{Z: 3, Floor: 1, Entries: []BaselineEntry{
		{Key: Key{Setting: "full", Task: "afqmc", Method: "fl-tuning"}, Metric: "accuracy", HigherIsBetter: true, Summary: Summary{Mean: 74, Std: 1, N: 3}},
		{Key: Key{Setting: "full", Task: "afqmc", Method: "fl-tuning"}, Metric: "macro_f1", HigherIsBetter: true, Summary: Summary{Mean: 69, Std: 1, N: 3}},
	}}
	// Current std 1 too: threshold exactly 3. A 2.9 drop is noise.
	c := Compare(b, loadStore(t, seeds("afqmc", "fl-tuning", 70.1, 71.1, 72.1)))
	if d := c.Deltas[0]; d.Verdict != Same || math.Abs(d.Threshold-3) > 1e-12 || math.Abs(d.Change+2.9) > 1e-9 {
		t.Errorf("drop of 2.9 under threshold 3: %+v", d)
	}
	// A lower-is-better metric regresses when it rises.
	b.Entries[0].HigherIsBetter = false
	c = Compare(b, loadStore(t, seeds("afqmc", "fl-tuning", 77, 78, 79)))
	if d := c.Deltas[0]; d.Verdict != Regressed || d.Change != -4 {
		t.Errorf("lower-is-better rise of 4: %+v", d)
	}
	var buf bytes.Buffer
	if err := c.WriteTable(&buf, false); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "| regressed") || !strings.Contains(out, "1 regressed, 1 improved, 0 within noise") {
		t.Errorf("table:\n%s", out)
	}
}

func TestBaselineFile(t *testing.T) {
	set := loadStore(t, concat(seeds("afqmc", "fl-tuning", 73, 74, 75.5), []cell{{task: "afqmc", method: "fine-tuning", seed: 1, failed: "boom"}}))
	b, err := NewBaseline(set, 2.5, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "baseline.json")
	if err := WriteBaseline(path, b); err != nil {
		t.Fatal(err)
	}
	got, err := ReadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Z != 2.5 || got.Floor != 0.5 || len(got.Entries) != 2 {
		t.Fatalf("read back %+v", got)
	}
	e := got.Entries[0]
	if e.Metric != "accuracy" || !e.HigherIsBetter || e.N != 3 || math.Abs(e.Mean-74.1666666) > 1e-6 || math.Abs(e.Std-1.2583057) > 1e-6 {
		t.Errorf("entry %+v", e)
	}
	if _, err := NewBaseline(set, -1, 1); err == nil {
		t.Error("negative z accepted")
	}

	bad := []struct{ name, json, want string }{
		{"unknown field", "{\n  \"schema\": 1,\n  \"zz\": 3\n}\n", `unknown field "zz"`},
		{"wrong type", "{\n  \"schema\": 1,\n  \"z\": \"3\"\n}\n", "line 3:"},
		{"schema", `{"schema": 2, "z": 3, "floor": 1}`, "field schema: 2"},
		{"duplicate", `{"schema": 1, "z": 3, "floor": 1, "entries": [{"setting": "full", "task": "a", "method": "m", "metric": "acc"}, {"setting": "full", "task": "a", "method": "m", "metric": "acc"}]}`, "entries[1]: a/m/full/acc repeated"},
		{"missing key", `{"schema": 1, "z": 3, "floor": 1, "entries": [{"task": "a", "method": "m", "metric": "acc"}]}`, "entries[0]: setting, task, method and metric are required"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "b.json")
			if err := os.WriteFile(p, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadBaseline(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %v, want it to name the file and contain %q", err, tt.want)
			}
		})
	}
}
