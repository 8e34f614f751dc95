package reports

import (
	"math"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
)

// cell describes a synthetic result; zero fields get defaults.
type cell struct {
	task, method, setting, split string
	seed                         int64
	acc                          float64 // headline (accuracy, %)
	f1                           float64 // second metric; 0: acc − 5
	ratio                        float64 // trainable / total; 0: by method
	steps                        []int   // evaluation steps; nil: 100, 200, ..., 500
	peak                         int     // step at which the curve peaks; 0: the last step
	flags                        []string
	failed                       string // error message: a failed cell
	backbone                     string // the backbone's name, in a matrix of several
	grid                         string // the grid point, in a matrix with lists
	wall                         float64
	dev                          int     // dev examples with per-example statistics (acc of them right); 0: none recorded
	test                         float64 // labelled test accuracy; 0: none recorded
}

var defaultRatio = map[string]float64{"fine-tuning": 1, "p-tuning-v2": 0.0288, "fl-tuning": 0.0289}

func (c cell) result() *results.Result {
	if c.setting == "" {
		c.setting = "full"
	}
	if c.split == "" {
		c.split = "full"
	}
	r := &results.Result{
		Cell:       plan.Cell{Task: c.task, Method: c.method, Setting: c.setting, Split: c.split, Seed: c.seed, BackboneName: c.backbone, Grid: c.grid},
		Status:     results.ResultOK,
		Provenance: results.Provenance{GitCommit: "abc1234", Go: "go1.26.8", Gotch: "v0.9.1", Libtorch: "2.6.0", BLAS: "openblas", Threads: 2, Device: "cpu", Host: "h1", Seed: c.seed, StartedAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)},
	}
	if c.failed != "" {
		r.Status, r.Error = results.ResultFailed, c.failed
		return r
	}
	f1 := c.f1
	if f1 == 0 {
		f1 = c.acc - 5
	}
	r.Metrics = []results.Metric{{Name: "accuracy", HigherIsBetter: true}, {Name: "macro_f1", HigherIsBetter: true}}
	r.Best = map[string]float64{"accuracy": c.acc, "macro_f1": f1}
	r.Params.Ratio = c.ratio
	if r.Params.Ratio == 0 {
		r.Params.Ratio = defaultRatio[c.method]
	}
	steps := c.steps
	if steps == nil {
		steps = []int{100, 200, 300, 400, 500}
	}
	peak := c.peak
	if peak == 0 {
		peak = steps[len(steps)-1]
	}
	// A curve rising linearly to acc at peak and flat after it (slightly lower, so that the
	// best step is exactly peak).
	for _, s := range steps {
		v := c.acc * float64(s) / float64(peak)
		if s > peak {
			v = c.acc - 0.5
		}
		r.Curve = append(r.Curve, results.EvalPoint{Step: s, Dev: map[string]float64{"accuracy": v, "macro_f1": v - 5}})
	}
	r.Steps = steps[len(steps)-1]
	r.Time.WallS = c.wall
	r.Flags = c.flags
	if c.dev > 0 {
		r.Data.Dev = c.dev
		r.DevStats = filepath.Join("cells", r.Cell.Key()+".dev.json")
	}
	if c.test != 0 {
		r.Test = map[string]float64{"accuracy": c.test, "macro_f1": c.test - 5}
	}
	return r
}

// devStats are the per-example statistics of a cell with dev examples: acc% of them right.
// Runs of one dev set (task and split) rank its examples alike, each method from its own
// offset, so paired runs are right on many of the same examples, as real ones are.
func (c cell) devStats(t *testing.T) *results.DevStats {
	t.Helper()
	right := math.Round(c.acc * float64(c.dev) / 100)
	if math.Abs(100*right/float64(c.dev)-c.acc) > 1e-9 {
		t.Fatalf("cell %s/%s seed %d: accuracy %g is not a count of %d dev examples", c.task, c.method, c.seed, c.acc, c.dev)
	}
	split := c.split
	if split == "" {
		split = "full"
	}
	rank := rand.New(rand.NewSource(int64(len(c.task)*131 + len(split)))).Perm(c.dev)
	offset := len(c.method)*5 + int(c.seed)
	rows := make([][]float64, c.dev)
	for i := range rows {
		rows[i] = []float64{0}
	}
	for j := 0; j < int(right); j++ {
		rows[rank[(offset+j)%c.dev]][0] = 1
	}
	return &results.DevStats{Task: c.task, Selection: split, Split: "dev", Metric: "accuracy", Examples: c.dev,
		DevHash: "sha256:synthetic-" + c.task + "-" + split, Columns: []string{"correct"}, Rows: rows}
}

// withDev gives every ok cell n dev examples with per-example statistics and, in a few-shot
// split, a labelled test score 3 points under its dev score.
func withDev(cs []cell, n int) []cell {
	out := append([]cell(nil), cs...)
	for i := range out {
		if out[i].failed != "" {
			continue
		}
		out[i].dev = n
		if strings.HasPrefix(out[i].split, "few") {
			out[i].test = out[i].acc - 3
		}
	}
	return out
}

// writeStore writes cells into a fresh results directory and returns it.
func writeStore(t *testing.T, cells []cell) string {
	t.Helper()
	dir := t.TempDir()
	st, err := results.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		r := c.result()
		if c.dev > 0 && c.failed == "" {
			if err := results.WriteDevStats(st.DevStatsPath(r.Cell.Key()), c.devStats(t)); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func loadStore(t *testing.T, cells []cell) *Set {
	t.Helper()
	set, err := Load(writeStore(t, cells))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// smallMatrix: two tasks × three methods × three seeds on full data, one few-shot setting,
// a collapsed P-tuning v2 seed on AFQMC, and one failed cell.
func smallMatrix() []cell {
	var cs []cell
	accs := map[string]map[string][3]float64{
		"afqmc": {"fine-tuning": {74, 75, 76}, "p-tuning-v2": {69, 70, 71}, "fl-tuning": {73, 74, 75.5}},
		"wsc10": {"fine-tuning": {70, 72, 74}, "p-tuning-v2": {60, 62, 64}, "fl-tuning": {78, 80, 82}},
	}
	peaks := map[string]int{"fine-tuning": 300, "p-tuning-v2": 500, "fl-tuning": 400}
	for _, task := range []string{"afqmc", "wsc10"} {
		for _, m := range []string{"fine-tuning", "p-tuning-v2", "fl-tuning"} {
			for i, seed := range []int64{1, 2, 3} {
				c := cell{task: task, method: m, seed: seed, acc: accs[task][m][i], peak: peaks[m]}
				if task == "afqmc" && m == "p-tuning-v2" && seed == 1 {
					c.flags = []string{"majority-class"}
				}
				cs = append(cs, c)
			}
		}
	}
	for _, m := range []string{"p-tuning-v2", "fl-tuning"} {
		cs = append(cs, cell{task: "afqmc", method: m, setting: "few32", split: "few:32", seed: 1, acc: map[string]float64{"p-tuning-v2": 55, "fl-tuning": 60}[m]})
	}
	cs = append(cs, cell{task: "wsc10", method: "fine-tuning", setting: "few32", split: "few:32", seed: 1, failed: "train: out of memory\nstack"})
	return cs
}
