package reports

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/clue"
)

// DevRows is an ok result's per-example dev statistics (results.DevStats, the file its
// DevStats names), checked against the result and laid out for resampling.
type DevRows struct {
	Metric string // the headline they recompute
	Hash   string // the dev set's content hash (clue.ExamplesHash)
	N      int    // dev examples
	cols   int
	flat   []float64 // N rows of cols values
	// combine recomputes the metric from the column sums of n rows (clue.StatsCombiner).
	combine func(sum []float64, n int) float64
}

// loadDevStats reads the dev statistics of the ok results that name a file. A file that
// cannot be used (missing, damaged, of another task or metric, or not recomputing the
// result's best dev score) is left out with a warning: its pairs get no bootstrap over
// examples, and the rest of the report stands.
func loadDevStats(dir string, ok []*results.Result) (map[string]*DevRows, []string) {
	out := map[string]*DevRows{}
	var warns []string
	for _, r := range ok {
		if r.DevStats == "" {
			continue
		}
		d, err := devRowsOf(dir, r)
		if err != nil {
			warns = append(warns, fmt.Sprintf("dev statistics of %s not used (%v): its pairs get no bootstrap over examples", r.Cell.Name(), err))
			continue
		}
		out[r.Cell.Key()] = d
	}
	return out, warns
}

func devRowsOf(dir string, r *results.Result) (*DevRows, error) {
	st, err := results.ReadDevStats(filepath.Join(dir, r.DevStats))
	if err != nil {
		return nil, err
	}
	m, best, ok := r.Headline()
	if !ok || st.Task != r.Cell.Task || st.Metric != m.Name {
		return nil, fmt.Errorf("they are %s's %s, the result is %s's with headline %s", st.Task, st.Metric, r.Cell.Task, m.Name)
	}
	task, err := clue.Lookup(st.Task)
	if err != nil {
		return nil, err
	}
	cols, err := clue.StatsColumns(task, st.Metric)
	if err != nil {
		return nil, err
	}
	if strings.Join(cols, ",") != strings.Join(st.Columns, ",") {
		return nil, fmt.Errorf("columns %v, this build's %s statistics have %v", st.Columns, st.Metric, cols)
	}
	combine, err := clue.StatsCombiner(task, st.Metric)
	if err != nil {
		return nil, err
	}
	d := &DevRows{Metric: st.Metric, Hash: st.DevHash, N: len(st.Rows), cols: len(cols), combine: combine,
		flat: make([]float64, 0, len(st.Rows)*len(cols))}
	sum := make([]float64, len(cols))
	for _, row := range st.Rows {
		d.flat = append(d.flat, row...)
		for c, v := range row {
			sum[c] += v
		}
	}
	// The rows must be the recorded best evaluation's: a file from another run of the cell
	// would resample something the tables do not show.
	if got := combine(sum, d.N); math.Abs(got-best) > 1e-6 {
		return nil, fmt.Errorf("they recompute %s %.4f, the result's best dev is %.4f", m.Name, got, best)
	}
	return d, nil
}
