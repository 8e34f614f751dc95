package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
)

// writeResults writes one ok cell per accuracy (seeds 1, 2, ...) for each method on AFQMC.
func writeResults(t *testing.T, accs map[string][]float64) string {
	t.Helper()
	dir := t.TempDir()
	st, err := results.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for method, as := range accs {
		for i, a := range as {
			r := &results.Result{
				Cell:    plan.Cell{Task: "afqmc", Method: method, Setting: "full", Split: "full", Seed: int64(i + 1)},
				Status:  results.ResultOK,
				Metrics: []results.Metric{{Name: "accuracy", HigherIsBetter: true}},
				Best:    map[string]float64{"accuracy": a},
				Curve:   []results.EvalPoint{{Step: 100, Dev: map[string]float64{"accuracy": a}}},
				Params:  results.Params{Ratio: 0.029},
			}
			if err := st.Write(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func TestCompareExitStatus(t *testing.T) {
	baseRes := writeResults(t, map[string][]float64{"fl-tuning": {73, 74, 75.5}, "p-tuning-v2": {69, 70, 71}})
	baseline := filepath.Join(t.TempDir(), "baseline.json")
	var out, errb bytes.Buffer
	if code := run([]string{"baseline", "--results", baseRes, "--out", baseline}, &out, &errb); code != 0 {
		t.Fatalf("bench baseline exit %d: %s", code, errb.String())
	}

	tests := []struct {
		name     string
		accs     map[string][]float64
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{
			// Learning rate 0: FL-tuning stays at AFQMC's majority class (69%).
			"broken method", map[string][]float64{"fl-tuning": {69, 69, 69}, "p-tuning-v2": {69, 70, 71}}, 1,
			[]string{"| full ", "FL-tuning", "regressed", "1 regressed, 0 improved, 1 within noise"},
			[]string{"1 metric(s) regressed"},
		},
		{
			"seed noise", map[string][]float64{"fl-tuning": {73.5, 74.5, 75}, "p-tuning-v2": {70, 70.5, 69.5}}, 0,
			[]string{"0 regressed, 0 improved, 2 within noise"}, nil,
		},
		{
			"one seed, missing method", map[string][]float64{"fl-tuning": {74}}, 0,
			[]string{"0 regressed"},
			[]string{"warning: too few seeds", "warning: missing: afqmc/p-tuning-v2/full"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run([]string{"compare", "--baseline", baseline, "--results", writeResults(t, tt.accs)}, &out, &errb)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out.String(), errb.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
		})
	}
}

func TestCompareUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"compare", "--results", t.TempDir()}, &out, &errb); code != 2 {
		t.Errorf("missing --baseline: exit %d, want 2", code)
	}
	bad := filepath.Join(t.TempDir(), "b.json")
	if err := os.WriteFile(bad, []byte(`{"schema": 1, "gate": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	if code := run([]string{"compare", "--baseline", bad, "--results", t.TempDir()}, &out, &errb); code != 1 || !strings.Contains(errb.String(), `unknown field "gate"`) {
		t.Errorf("bad baseline: exit %d, stderr %q", code, errb.String())
	}
}

func TestReportCommand(t *testing.T) {
	res := writeResults(t, map[string][]float64{"fl-tuning": {73, 74, 75.5}, "p-tuning-v2": {69, 70, 71}})
	var out, errb bytes.Buffer
	if code := run([]string{"report", "--results", res, "--reference", filepath.Join("..", "..", "reference.yaml")}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	md, err := os.ReadFile(filepath.Join(res, "report", "tables.md"))
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(md) {
		t.Error("stdout differs from tables.md")
	}
	for _, w := range []string{"**74.17 ± 1.26 (3)**", "## Claims", "| fl-params ", "not run"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("report lacks %q:\n%s", w, out.String())
		}
	}
	for _, f := range []string{"index.md", "results.csv", "tables.tex", "claims.json", "plots/full_afqmc.png", "plots/full_afqmc.svg"} {
		if _, err := os.Stat(filepath.Join(res, "report", f)); err != nil {
			t.Error(err)
		}
	}
}
