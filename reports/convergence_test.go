package reports

import (
	"math"
	"testing"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
)

// curveResult is a cell whose dev accuracy follows ys at steps xs.
func curveResult(task, method string, seed int64, xs []int, ys []float64) *results.Result {
	r := &results.Result{
		Cell:    plan.Cell{Task: task, Method: method, Setting: "full", Split: "full", Seed: seed},
		Status:  results.ResultOK,
		Metrics: []results.Metric{{Name: "accuracy", HigherIsBetter: true}},
		Best:    map[string]float64{},
	}
	for i, x := range xs {
		r.Curve = append(r.Curve, results.EvalPoint{Step: x, Dev: map[string]float64{"accuracy": ys[i]}})
		r.Best["accuracy"] = math.Max(r.Best["accuracy"], ys[i])
	}
	return r
}

func TestConvergenceRatio(t *testing.T) {
	steps := []int{100, 200, 300, 400, 500, 600}
	rs := []*results.Result{
		// AFQMC: FL-tuning peaks at 300 (both seeds); P-tuning v2 at 600 and 400, mean 500.
		// 95% of 70 is 66.5, first reached at 200 by FL-tuning.
		curveResult("afqmc", "fl-tuning", 1, steps, []float64{50, 67, 70, 69, 69, 68}),
		curveResult("afqmc", "fl-tuning", 2, steps, []float64{50, 67, 70, 69, 69, 68}),
		curveResult("afqmc", "p-tuning-v2", 1, steps, []float64{40, 50, 60, 65, 68, 69}),
		curveResult("afqmc", "p-tuning-v2", 2, steps, []float64{40, 50, 60, 69, 68, 68}),
		// WSC1.0: FL-tuning is slower, 400 vs 200, a ratio of 0.5.
		curveResult("wsc10", "fl-tuning", 1, steps, []float64{50, 55, 60, 70, 65, 60}),
		curveResult("wsc10", "p-tuning-v2", 1, steps, []float64{50, 70, 60, 60, 60, 60}),
		// A method without a baseline partner is left out.
		curveResult("tnews", "fl-tuning", 1, steps, []float64{1, 2, 3, 4, 5, 6}),
	}
	groups := Aggregate(rs)
	rows := map[Key]ConvRow{}
	for _, r := range Convergence(groups) {
		rows[r.Key] = r
	}
	fl := rows[Key{Setting: "full", Task: "afqmc", Method: "fl-tuning"}]
	if fl.BestStep.Mean != 300 || fl.Step95.Mean != 200 || fl.BestStep.N != 2 {
		t.Errorf("FL-tuning AFQMC convergence %+v", fl)
	}
	if pt := rows[Key{Setting: "full", Task: "afqmc", Method: "p-tuning-v2"}]; pt.BestStep.Mean != 500 || pt.BestStep.Std != math.Sqrt(20000) {
		t.Errorf("P-tuning v2 AFQMC convergence %+v", pt)
	}
	rat := ConvergenceRatios(groups, "fl-tuning", "p-tuning-v2", nil)
	want := map[string]float64{"afqmc": 500.0 / 300, "wsc10": 0.5}
	if len(rat.PerTask) != 2 {
		t.Fatalf("per task %+v", rat.PerTask)
	}
	for _, tr := range rat.PerTask {
		if math.Abs(tr.Ratio-want[tr.Task]) > 1e-12 {
			t.Errorf("%s ratio %g, want %g", tr.Task, tr.Ratio, want[tr.Task])
		}
	}
	if wantAll := math.Sqrt(500.0 / 300 * 0.5); rat.N != 2 || math.Abs(rat.Overall-wantAll) > 1e-12 {
		t.Errorf("overall %g over %d, want %g over 2", rat.Overall, rat.N, wantAll)
	}
	only := ConvergenceRatios(groups, "fl-tuning", "p-tuning-v2", func(g *Group) bool { return g.Task == "wsc10" })
	if only.N != 1 || only.Overall != 0.5 {
		t.Errorf("filtered ratio %+v", only)
	}
}

func TestCellConvergenceFallback(t *testing.T) {
	r := curveResult("afqmc", "fl-tuning", 1, nil, nil)
	r.Convergence = results.Convergence{BestStep: 700, Step95: 300}
	if c := CellConvergence(r); c.BestStep != 700 || c.Step95 != 300 {
		t.Errorf("without a curve CellConvergence = %+v, want the recorded one", c)
	}
}

func TestMeanCurve(t *testing.T) {
	same := Aggregate([]*results.Result{
		curveResult("afqmc", "fl-tuning", 1, []int{10, 20}, []float64{50, 60}),
		curveResult("afqmc", "fl-tuning", 2, []int{10, 20}, []float64{52, 64}),
	})[0]
	mc := meanCurve(same)
	if mc.Interpolated || len(mc.Steps) != 2 || mc.Mean[1] != 62 || math.Abs(mc.Std[1]-math.Sqrt(8)) > 1e-12 {
		t.Errorf("shared steps: %+v", mc)
	}
	diff := Aggregate([]*results.Result{
		curveResult("afqmc", "fl-tuning", 1, []int{0, 100}, []float64{0, 100}),
		curveResult("afqmc", "fl-tuning", 2, []int{0, 50, 200}, []float64{0, 50, 80}),
	})[0]
	mc = meanCurve(diff)
	if !mc.Interpolated || len(mc.Steps) != gridPoints || mc.Steps[0] != 0 || mc.Steps[gridPoints-1] != 100 {
		t.Fatalf("different steps: interpolated %v, grid %v", mc.Interpolated, mc.Steps)
	}
	// At step 100: seed 1 is 100, seed 2 interpolates 50 + 30·(50/150) = 60.
	if got := mc.Mean[gridPoints-1]; math.Abs(got-80) > 1e-9 {
		t.Errorf("mean at step 100 = %g, want 80", got)
	}
}
