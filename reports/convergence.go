package reports

import (
	"fmt"
	"io"
	"sort"

	"github.com/clue-bench/clue-bench/bench/results"
)

// CellConvergence is a cell's steps to its best dev headline and to 95% of it. It is
// recomputed from the recorded curve with results.ConvergenceOf, so that every table, ratio and
// claim uses one definition even if a result file was written by an older runner; a result
// without a curve falls back to its recorded convergence.
func CellConvergence(r *results.Result) results.Convergence {
	if len(r.Metrics) == 0 {
		return r.Convergence
	}
	m := r.Metrics[0]
	for _, p := range r.Curve {
		if _, ok := p.Dev[m.Name]; ok {
			return results.ConvergenceOf(r.Curve, m)
		}
	}
	return r.Convergence
}

// ConvRow summarises a group's convergence over seeds.
type ConvRow struct {
	Key
	BestStep Summary `json:"best_step"`
	Step95   Summary `json:"step_95"`
}

// Convergence summarises every group's steps-to-best and steps-to-95%.
func Convergence(groups []*Group) []ConvRow {
	var rows []ConvRow
	for _, g := range groups {
		var best, s95 []float64
		for _, r := range g.Cells {
			c := CellConvergence(r)
			best = append(best, float64(c.BestStep))
			s95 = append(s95, float64(c.Step95))
		}
		rows = append(rows, ConvRow{Key: g.Key, BestStep: Summarize(best), Step95: Summarize(s95)})
	}
	return rows
}

// TaskRatio is a convergence ratio on one (setting, task): the baseline's mean steps-to-best
// divided by the method's, so > 1 means the method reaches its best sooner.
type TaskRatio struct {
	Backbone string  `json:"backbone,omitempty"`
	Setting  string  `json:"setting"`
	Task     string  `json:"task"`
	Method   Summary `json:"method_steps"`
	Baseline Summary `json:"baseline_steps"`
	Ratio    float64 `json:"ratio"`
}

// Ratios is the convergence comparison of two methods.
type Ratios struct {
	Method   string      `json:"method"`
	Baseline string      `json:"baseline"`
	PerTask  []TaskRatio `json:"per_task"`
	Overall  float64     `json:"overall"` // geometric mean of PerTask ratios; 0 when none
	N        int         `json:"n"`       // ratios in the geometric mean
}

// ConvergenceRatios compares method with baseline on every (setting, task) both ran whose
// setting passes keep (nil keeps all). A pair where the method's mean steps-to-best is 0 has
// no finite ratio and is left out.
func ConvergenceRatios(groups []*Group, method, baseline string, keep func(*Group) bool) Ratios {
	out := Ratios{Method: method, Baseline: baseline}
	rows := map[Key]ConvRow{}
	for _, r := range Convergence(groups) {
		rows[r.Key] = r
	}
	var ratios []float64
	for _, g := range groups {
		if g.Method != method || (keep != nil && !keep(g)) {
			continue
		}
		b, ok := rows[Key{Backbone: g.Backbone, Setting: g.Setting, Task: g.Task, Method: baseline}]
		m := rows[g.Key]
		if !ok || m.BestStep.Mean <= 0 {
			continue
		}
		tr := TaskRatio{Backbone: g.Backbone, Setting: g.Setting, Task: g.Task, Method: m.BestStep, Baseline: b.BestStep, Ratio: b.BestStep.Mean / m.BestStep.Mean}
		out.PerTask = append(out.PerTask, tr)
		ratios = append(ratios, tr.Ratio)
	}
	out.Overall, out.N = geoMean(ratios)
	return out
}

// writeConvergenceMarkdown writes the steps-to-best table and, when both methods ran, the
// FL-tuning vs P-tuning v2 ratios.
func writeConvergenceMarkdown(w io.Writer, groups []*Group, interpolated []string) error {
	fmt.Fprintf(w, "## Convergence\n\n")
	fmt.Fprintf(w, "Optimiser steps until a run's best dev %s and until it first reaches 95%% of that best, mean ± std over seeds (n).\n\n", "headline score")
	// With several backbones every row names its backbone in a first column.
	multi := severalBackbones(groups)
	lead := func(backbone string, row ...string) []string {
		if multi {
			return append([]string{backbone}, row...)
		}
		return row
	}
	var rows [][]string
	for _, r := range Convergence(groups) {
		rows = append(rows, lead(r.Backbone, r.Setting, TaskName(r.Task), MethodName(r.Method), fmtSteps(r.BestStep), fmtSteps(r.Step95)))
	}
	if err := renderMarkdown(w, lead("Backbone", "Setting", "Task", "Method", "Steps to best", "Steps to 95% of best"), rows); err != nil {
		return err
	}
	rat := ConvergenceRatios(groups, "fl-tuning", "p-tuning-v2", nil)
	if len(rat.PerTask) > 0 {
		fmt.Fprintf(w, "\n%s vs %s: ratio = %s's mean steps-to-best / %s's, so > 1 means %s reaches its best sooner; overall is the geometric mean over (setting, task).\n\n",
			MethodName(rat.Method), MethodName(rat.Baseline), MethodName(rat.Baseline), MethodName(rat.Method), MethodName(rat.Method))
		rows = rows[:0]
		for _, t := range rat.PerTask {
			rows = append(rows, lead(t.Backbone, t.Setting, TaskName(t.Task), fmtSteps(t.Method), fmtSteps(t.Baseline), fmt.Sprintf("%.2f×", t.Ratio)))
		}
		rows = append(rows, lead("all", "all", fmt.Sprintf("overall (%d)", rat.N), "", "", fmt.Sprintf("%.2f×", rat.Overall)))
		if err := renderMarkdown(w, lead("Backbone", "Setting", "Task", MethodName(rat.Method)+" steps", MethodName(rat.Baseline)+" steps", "Ratio"), rows); err != nil {
			return err
		}
	}
	if len(interpolated) > 0 {
		sort.Strings(interpolated)
		fmt.Fprintf(w, "\nPlots: seeds of some methods were evaluated at different steps, so their curves were linearly interpolated onto a common grid of %d steps before averaging: %s.\n", gridPoints, joinCode(interpolated))
	}
	fmt.Fprintln(w)
	return nil
}

func fmtSteps(s Summary) string {
	if s.N < 2 {
		return fmt.Sprintf("%.0f (%d)", s.Mean, s.N)
	}
	return fmt.Sprintf("%.0f ± %.0f (%d)", s.Mean, s.Std, s.N)
}
