package bench

import (
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/clue"
)

// writeTinyBUSTM writes a FewCLUE-layout BUSTM fold 0 of tinyPair's pairs with a labelled
// test_public.json.
func writeTinyBUSTM(t *testing.T, dir string, seed int64) {
	t.Helper()
	d := filepath.Join(dir, "bustm")
	must(t, os.MkdirAll(d, 0o755))
	r := rand.New(rand.NewSource(seed))
	id := 0
	write := func(name string, n int) {
		var sb strings.Builder
		for i := 0; i < n; i++ {
			s1, s2, label := tinyPair(r)
			line, _ := json.Marshal(map[string]any{"id": id, "sentence1": s1, "sentence2": s2, "label": label})
			id++
			sb.Write(append(line, '\n'))
		}
		must(t, os.WriteFile(filepath.Join(d, name), []byte(sb.String()), 0o644))
	}
	write("train_0.json", 64)
	write("dev_0.json", 24)
	write("test_public.json", 16)
}

// checkDevStats reads the cell's per-example dev statistics and checks them against its
// result: the headline recomputed from the rows is the best dev value, over the dev set the
// cell read (dev holds its examples).
func checkDevStats(t *testing.T, out string, r *results.Result, dev []clue.Example) *results.DevStats {
	t.Helper()
	if want := filepath.Join("cells", r.Cell.Key()+".dev.json"); r.DevStats != want {
		t.Fatalf("%s: dev statistics file %q, want %q", r.Cell.Name(), r.DevStats, want)
	}
	d, err := results.ReadDevStats(filepath.Join(out, r.DevStats))
	if err != nil {
		t.Fatal(err)
	}
	task, err := clue.Lookup(r.Cell.Task)
	if err != nil {
		t.Fatal(err)
	}
	combine, err := clue.StatsCombiner(task, d.Metric)
	if err != nil {
		t.Fatal(err)
	}
	sum := make([]float64, len(d.Columns))
	for _, row := range d.Rows {
		for c, v := range row {
			sum[c] += v
		}
	}
	m, best, _ := r.Headline()
	if got := combine(sum, len(d.Rows)); d.Metric != m.Name || math.Abs(got-best) > 1e-9 {
		t.Errorf("%s: %s recomputed from the dev statistics %.6f, best dev %s %.6f", r.Cell.Name(), d.Metric, got, m.Name, best)
	}
	if d.Task != r.Cell.Task || d.Selection != r.Cell.Split || d.Split != "dev" || d.Examples != r.Data.Dev || d.DevHash != clue.ExamplesHash(dev) {
		t.Errorf("%s: header %+v (dev hash want %s)", r.Cell.Name(), d, clue.ExamplesHash(dev))
	}
	return d
}

// A few-shot cell writes its best dev evaluation's statistics and scores the labelled
// test_public.json with the best-dev weights: the recorded test metrics are those of the
// submission it wrote.
func TestFewShotCellKeepsDevStatsAndTestMetrics(t *testing.T) {
	cell := tinyCells(t, "fl-tuning")[0]
	cell.Task, cell.Setting, cell.Split = "bustm", "few", "few:0"
	cell.Hyper.Epochs, cell.Hyper.EvalEvery = 4, 2
	var dataDir string
	res, out := runTinyCell(t, cell, func(dir string) { dataDir = dir; writeTinyBUSTM(t, dir, 8) })
	task, err := clue.Lookup("bustm")
	must(t, err)
	sel, err := clue.ParseSelection("few:0")
	must(t, err)
	ds, err := clue.Load(task, dataDir, sel)
	must(t, err)
	checkDevStats(t, out, res, ds.Dev)

	f, err := os.Open(filepath.Join(out, res.Predictions))
	must(t, err)
	defer f.Close()
	ids, pred, err := clue.ReadPredictions(f, res.Predictions, task)
	must(t, err)
	byID := map[string]clue.Prediction{}
	for i, id := range ids {
		byID[id] = pred[i]
	}
	aligned := make([]clue.Prediction, len(ds.Test))
	for i, ex := range ds.Test {
		aligned[i] = byID[ex.ID]
	}
	want, err := clue.Evaluate(task, ds.Test, aligned)
	must(t, err)
	if len(res.Test) != 2 || res.Test["accuracy"] != want["accuracy"] || res.Test["macro_f1"] != want["macro_f1"] {
		t.Errorf("test metrics %v, the submission scores %v", res.Test, want)
	}
}
