package reports

import (
	"bytes"
	"strings"
	"testing"
)

// folds is a FewCLUE-style matrix: two tasks over five folds on two backbones, one of them
// missing a fold, plus one full-data task.
func folds() []cell {
	var cs []cell
	for _, b := range []string{"roberta", "nezha"} {
		for _, m := range []string{"p-tuning-v2", "fl-tuning"} {
			base := map[string]float64{"p-tuning-v2": 50, "fl-tuning": 60}[m]
			for k := 0; k < 5; k++ {
				setting, split := "few"+string(rune('0'+k)), "few:"+string(rune('0'+k))
				cs = append(cs, cell{task: "tnews", method: m, setting: setting, split: split, seed: 1, acc: base + float64(k), backbone: b})
				if !(b == "nezha" && m == "fl-tuning" && k == 4) {
					cs = append(cs, cell{task: "csl", method: m, setting: setting, split: split, seed: 1, acc: base + 10, backbone: b})
				}
			}
			cs = append(cs, cell{task: "afqmc", method: m, seed: 1, acc: base + 5, backbone: b})
		}
	}
	return cs
}

// The paper's layout averages a task's folds (tnews: 60, 61, ..., 64 → 62), marks a value
// over part of its folds, and keeps Avg to the tasks every row has in every fold.
func TestPaperTables(t *testing.T) {
	r := New(loadStore(t, folds()), nil)
	if r.Paper == nil {
		t.Fatal("no paper layout for several backbones")
	}
	var few *PaperTable
	for _, pt := range r.Paper {
		if pt.Regime == RegimeFew {
			few = pt
		}
	}
	if few == nil || strings.Join(few.Tasks, ",") != "tnews,csl" || len(few.Rows) != 4 {
		t.Fatalf("few-shot table %+v", few)
	}
	row := few.Rows[1] // roberta fl-tuning
	if row.Backbone != "roberta" || row.Method != "fl-tuning" || row.Cells["tnews"].Mean != 62 || len(row.Cells["tnews"].Settings) != 5 {
		t.Errorf("roberta fl-tuning: %+v %+v", row, row.Cells["tnews"])
	}
	if strings.Join(few.AvgTasks, ",") != "tnews" {
		t.Errorf("AvgTasks %v, want tnews (csl lacks a fold on one row)", few.AvgTasks)
	}
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	checkHas(t, "tables.md", md.String(), "## Paper layout: few-shot", "| nezha    | FL-tuning   | 2.9%      | **62.00**",
		"**70.00**†", "over part of the task's settings only: nezha FL-tuning on CSL (4 of 5)", "Avg: over TNEWS only")
}

// One backbone with one setting per regime (the built-in suite) keeps the per-setting tables
// alone; one backbone over several folds gets the paper's layout too.
func TestPaperLayoutWhen(t *testing.T) {
	if PaperLayout(Aggregate(loadStore(t, smallMatrix()).OK)) {
		t.Error("the small single-backbone matrix asks for the paper layout")
	}
	var one []cell
	for _, c := range folds() {
		if c.backbone == "roberta" {
			c.backbone = ""
			one = append(one, c)
		}
	}
	if !PaperLayout(Aggregate(loadStore(t, one).OK)) {
		t.Error("one backbone over five folds: no paper layout")
	}
}

// A delta claim compares a method with its baseline only where both ran on the same backbone
// and setting: FL-tuning on one backbone against P-tuning v2 on another is not run, and a fold
// only one of them has is left out with a warning.
func TestDeltaClaimPairs(t *testing.T) {
	claim := &Reference{Claims: []Claim{{ID: "c", Kind: ClaimDelta, Task: "wsc10", Setting: "full", Method: "fl-tuning", Baseline: "p-tuning-v2", Value: 10, Tolerance: 1}}}
	apart := []cell{
		{task: "wsc10", method: "fl-tuning", seed: 1, acc: 80, backbone: "roberta"},
		{task: "wsc10", method: "p-tuning-v2", seed: 1, acc: 70, backbone: "nezha"},
	}
	got := CheckClaims(claim, Aggregate(loadStore(t, apart).OK), nil)[0]
	if got.Status != NotRun || got.Observed != nil || !strings.Contains(got.Detail, "where both FL-tuning and P-tuning v2 ran") {
		t.Errorf("methods on different backbones: %s (%s)", got.Status, got.Detail)
	}

	claim.Claims[0].Task, claim.Claims[0].Setting = "csl", "few"
	var cs []cell
	for _, c := range folds() {
		if c.task == "csl" && c.backbone == "nezha" {
			cs = append(cs, c)
		}
	}
	got = CheckClaims(claim, Aggregate(loadStore(t, cs).OK), nil)[0]
	if got.Status != Holds || !strings.Contains(strings.Join(got.Warnings, " "), "nezha/csl/p-tuning-v2/few4") {
		t.Errorf("a fold one method lacks: %s, warnings %v", got.Status, got.Warnings)
	}
}
