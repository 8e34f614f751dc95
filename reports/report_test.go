package reports

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// testRef publishes two numbers for the small matrix and states one claim of each outcome.
const testRef = `references:
  - {task: wsc10, method: fl-tuning, setting: full, metric: accuracy, value: 81.5, source: "paper, Table 1"}
  - {task: wsc10, method: p-tuning-v2, setting: full, value: 63.57}
  - {task: afqmc, method: fl-tuning, setting: few, value: ~}
claims:
  - {id: wsc10-delta, text: "FL beats P-tuning v2 by 17.93 on WSC 1.0", kind: delta, task: wsc10, setting: full, metric: accuracy, method: fl-tuning, baseline: p-tuning-v2, value: 17.93, tolerance: 5}
  - {id: afqmc-delta, kind: delta, task: afqmc, setting: full, method: fl-tuning, baseline: fine-tuning, value: 5, tolerance: 1}
  - {id: cluener-few, kind: delta, task: cluener, setting: few, method: fl-tuning, baseline: p-tuning-v2, value: 16.142, tolerance: 5}
`

func testReport(t *testing.T) *Report {
	t.Helper()
	ref, err := ParseReference("reference.yaml", []byte(testRef))
	if err != nil {
		t.Fatal(err)
	}
	return New(loadStore(t, smallMatrix()), ref)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports/ -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", path, got)
	}
}

func TestMarkdownGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := testReport(t).WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "tables.md", buf.Bytes())
}

func TestMarkdownContent(t *testing.T) {
	var buf bytes.Buffer
	if err := testReport(t).WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"## Full data", "## Few-shot", "| full ", "few32 (few:32)",
		"| FL-tuning (2.9%) ", "Fine-tuning (100%)",
		"**80.00 ± 2.00 (3)**", // FL-tuning is best on WSC1.0
		"**75.00 ± 1.00 (3)**", // fine-tuning is best on AFQMC
		"70.00 ± 1.00 (3)†",    // the collapsed P-tuning v2 seed
		"† majority-class", "1 of 3 seeds",
		"| FL-tuning, paper ", "81.50 (Δ -1.50)", "63.57 (Δ -1.57)",
		"**77.08**", // FL-tuning's Avg: (74.17 + 80) / 2
		"`wsc10__fine-tuning__few32__s1`: train: out of memory …",
		"| wsc10-delta ", "| holds ", "| does not hold ", "| not run ",
		"1.16×",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("tables.md lacks %q", want)
		}
	}
	if strings.Contains(md, "FL-tuning, paper | | ") && strings.Contains(md, "afqmc") {
		t.Error("a reference entry without a value made a paper cell")
	}
}

func TestLaTeX(t *testing.T) {
	var buf bytes.Buffer
	if err := testReport(t).WriteLaTeX(&buf); err != nil {
		t.Fatal(err)
	}
	tex := buf.String()
	for _, want := range []string{
		`\toprule`, `\midrule`, `\bottomrule`, `\label{tab:full}`, `\label{tab:few}`,
		`\textbf{80.00 $\pm$ 2.00 (3)}`, `\textbf{75.00 $\pm$ 1.00 (3)}`, `\textbf{77.08}`,
		`FL-tuning (2.9\%)`, `\textsuperscript{\dag}`, `$\Delta$ -1.50`,
		`\multicolumn{4}{l}{\textit{Setting full}}`,
	} {
		if !strings.Contains(tex, want) {
			t.Errorf("tables.tex lacks %q", want)
		}
	}
	for _, bad := range []string{"±", "Δ", "−", "**"} {
		if strings.Contains(tex, bad) {
			t.Errorf("tables.tex contains %q, which LaTeX without unicode setup cannot typeset", bad)
		}
	}
}

func TestCSV(t *testing.T) {
	r := testReport(t)
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// 20 ok cells × 2 metrics, plus the header; the failed cell has no rows.
	if len(rows) != 41 {
		t.Fatalf("%d rows, want 41", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, name := range []string{"setting", "task", "method", "seed", "metric", "value", "trainable_pct", "steps", "train_s", "wall_s"} {
		if _, ok := col[name]; !ok {
			t.Errorf("no column %q", name)
		}
	}
	found := false
	for _, row := range rows[1:] {
		if row[col["task"]] == "wsc10" && row[col["method"]] == "fl-tuning" && row[col["seed"]] == "3" && row[col["metric"]] == "accuracy" {
			found = row[col["value"]] == "82" && row[col["trainable_pct"]] == "2.89" && row[col["setting"]] == "full"
		}
	}
	if !found {
		t.Error("no correct row for wsc10/fl-tuning/full seed 3 accuracy")
	}
}

func TestAvgAndBest(t *testing.T) {
	// P-tuning v2 lacks TNEWS, so Avg covers AFQMC only; for a lower-is-better headline the
	// smallest mean is bold.
	cs := []cell{
		{task: "afqmc", method: "fine-tuning", seed: 1, acc: 70},
		{task: "afqmc", method: "p-tuning-v2", seed: 1, acc: 60},
		{task: "tnews", method: "fine-tuning", seed: 1, acc: 50},
	}
	set := loadStore(t, cs)
	for _, r := range set.OK {
		if r.Cell.Task == "afqmc" {
			r.Metrics[0].HigherIsBetter = false
		}
	}
	var buf bytes.Buffer
	if err := New(set, nil).WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{"**60.00 (1)**", "| 70.00 (1) ", "Avg, setting full: over AFQMC only", "| **60.00** |"} {
		if !strings.Contains(md, want) {
			t.Errorf("tables.md lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "## Claims") {
		t.Error("claims section without a reference file")
	}
}

func TestLoadRejects(t *testing.T) {
	dir := writeStore(t, []cell{{task: "afqmc", method: "fl-tuning", seed: 1, acc: 70}})
	path := filepath.Join(dir, "cells", "afqmc__fl-tuning__full__s1.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(`"status": "ok"`), []byte(`"status": "done"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir)
	if err == nil || !strings.Contains(err.Error(), "afqmc__fl-tuning__full__s1.json: field status") {
		t.Errorf("Load error = %v, want one naming the file and field", err)
	}
	if _, err := Load(filepath.Join(dir, "nowhere")); err == nil {
		t.Error("Load of a missing directory succeeded")
	}
}

func TestWriteAndIndex(t *testing.T) {
	r := testReport(t)
	r.Set.OK[0].Provenance.GitDirty = true
	r.Set.OK[1].Provenance.DeviceName = "Intel Xeon"
	dir := t.TempDir()
	files, err := r.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{FileIndex, FileTables, FileCSV, FileLaTeX, FileClaims, "plots/full_afqmc.png", "plots/full_wsc10.svg", "plots/few32_afqmc.png"} {
		if !contains(files, f) {
			t.Errorf("Write did not report %s (got %v)", f, files)
		}
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	idx, err := os.ReadFile(filepath.Join(dir, FileIndex))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"21 cells: 20 ok, 1 failed", "[tables.md](tables.md)", "[results.csv](results.csv)", "[tables.tex](tables.tex)",
		"[claims.json](claims.json)", "[png](plots/full_wsc10.png)", "[svg](plots/full_wsc10.svg)",
		"`abc1234` (20), `abc1234 (dirty)` (1)", "`go1.26.8`", "`v0.9.1`", "`2.6.0`", "`openblas`", "Threads: `2`",
		"`cpu Intel Xeon` (1)", "2026-11-20T10:00:00Z to 2026-11-20T11:00:00Z", "uncommitted changes",
		"`wsc10__fine-tuning__few32__s1`",
	} {
		if !strings.Contains(string(idx), want) {
			t.Errorf("index.md lacks %q:\n%s", want, idx)
		}
	}
}
