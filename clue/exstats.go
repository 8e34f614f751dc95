package clue

import "fmt"

// Per-example statistics. A bootstrap over examples resamples a dev set and rescores each
// resample thousands of times; rerunning Evaluate (and keeping every prediction) for that
// would be slow and would tie reports to the runner's prediction types. Every metric a task
// declares is instead a function of the column sums of per-example rows, its sufficient
// statistics: accuracy of the count of right answers, micro F1 of true positives, false
// positives and false negatives, macro F1 of those per class, a mean of per-example scores of
// their sum. ExampleStatsOf computes the rows once; StatsCombiner recomputes the metric from
// the column sums of any subset or multiset of them, as Evaluate scores those examples. For a
// task with a joint decision over groups (Resolve), each row is taken after the decision over
// the whole set, so a resample keeps each example's outcome rather than deciding again.
//
// A task's headline metric must have statistics (Register checks it), so every registered
// task can be bootstrapped; the other metrics have them too where they are defined here.

// exampleMetric is how one metric decomposes into per-example rows.
type exampleMetric struct {
	columns func(t *Task) []string
	// row is one example's statistics, after Resolve; an error where Evaluate errs.
	row func(t *Task, gold Example, pred Prediction) ([]float64, error)
	// combine recomputes the metric, in percent, from the column sums of n > 0 rows.
	combine func(t *Task, sum []float64, n int) float64
}

// exampleMetrics is keyed as metricFuncs is ("kind/name" first, then "name").
var exampleMetrics = map[string]exampleMetric{
	"accuracy": {columns: fixedColumns("correct"), row: correctLabel, combine: meanPercent},
	"macro_f1": {columns: perLabelColumns, row: labelCounts, combine: macroF1FromCounts},
}

// registerExampleMetric adds a metric's statistics from a task file's init; a duplicate is a
// programming error.
func registerExampleMetric(key string, m exampleMetric) {
	if _, dup := exampleMetrics[key]; dup {
		panic("clue: duplicate example statistics " + key)
	}
	exampleMetrics[key] = m
}

func exampleMetricFor(t *Task, name string) (exampleMetric, bool) {
	return byKind(exampleMetrics, t, name)
}

// ExampleStats is one metric's statistics over a list of examples: a row per example, in the
// examples' order, each holding a value per column.
type ExampleStats struct {
	Metric  string
	Columns []string
	Rows    [][]float64
}

// ExampleStatsOf computes metric's per-example statistics over gold examples and the
// predictions made for them, in the same order, taking the same inputs as Evaluate and
// failing where it fails.
func ExampleStatsOf(t *Task, metric string, gold []Example, pred []Prediction) (*ExampleStats, error) {
	m, ok := exampleMetricFor(t, metric)
	if !ok {
		return nil, fmt.Errorf("clue/%s: metric %q has no per-example statistics", t.Name, metric)
	}
	if len(gold) != len(pred) {
		return nil, fmt.Errorf("clue/%s: example statistics: %d gold examples but %d predictions", t.Name, len(gold), len(pred))
	}
	if len(gold) == 0 {
		return nil, fmt.Errorf("clue/%s: example statistics: no examples", t.Name)
	}
	pred = append([]Prediction(nil), pred...) // Resolve writes Assigned; the caller's stay as given
	Resolve(t, gold, pred)
	cols := m.columns(t)
	s := &ExampleStats{Metric: metric, Columns: cols, Rows: make([][]float64, len(gold))}
	for i, ex := range gold {
		if !ex.Labelled() {
			return nil, fmt.Errorf("clue/%s: example statistics: gold[%d] (id %s) is unlabelled", t.Name, i, ex.ID)
		}
		row, err := m.row(t, ex, pred[i])
		if err != nil {
			return nil, fmt.Errorf("clue/%s: example statistics: %s: example %d: %w", t.Name, metric, i, err)
		}
		if len(row) != len(cols) {
			return nil, fmt.Errorf("clue/%s: example statistics: %s: example %d has %d values for %d columns", t.Name, metric, i, len(row), len(cols))
		}
		s.Rows[i] = row
	}
	return s, nil
}

// StatsColumns names the columns of metric's per-example statistics for t.
func StatsColumns(t *Task, metric string) ([]string, error) {
	m, ok := exampleMetricFor(t, metric)
	if !ok {
		return nil, fmt.Errorf("clue/%s: metric %q has no per-example statistics", t.Name, metric)
	}
	return m.columns(t), nil
}

// StatsCombiner returns the function that recomputes metric, in percent, from the column sums
// of n > 0 rows of its statistics (n is the number of rows summed, repeats counted).
func StatsCombiner(t *Task, metric string) (func(sum []float64, n int) float64, error) {
	m, ok := exampleMetricFor(t, metric)
	if !ok {
		return nil, fmt.Errorf("clue/%s: metric %q has no per-example statistics", t.Name, metric)
	}
	return func(sum []float64, n int) float64 { return m.combine(t, sum, n) }, nil
}

// fixedColumns is a column list that does not depend on the task.
func fixedColumns(names ...string) func(*Task) []string {
	return func(*Task) []string { return names }
}

// meanPercent is 100 × the mean of the first column: a rate or a mean per-example score.
func meanPercent(_ *Task, sum []float64, n int) float64 { return 100 * sum[0] / float64(n) }

// checkLabels checks an example's label indices as labelMetric does.
func checkLabels(t *Task, gold Example, pred Prediction) error {
	n := len(t.Labels)
	if gold.Label < 0 || gold.Label >= n {
		return fmt.Errorf("gold label %d is not a label index in [0, %d)", gold.Label, n)
	}
	if pred.Label < 0 || pred.Label >= n {
		return fmt.Errorf("predicted label %d is not a label index in [0, %d)", pred.Label, n)
	}
	return nil
}

func correctLabel(t *Task, gold Example, pred Prediction) ([]float64, error) {
	if err := checkLabels(t, gold, pred); err != nil {
		return nil, err
	}
	return []float64{indicator(gold.Label == pred.Label)}, nil
}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// perLabelColumns are a true-positive, false-positive and false-negative count per label, in
// that order, label by label.
func perLabelColumns(t *Task) []string {
	out := make([]string, 0, 3*len(t.Labels))
	for _, l := range t.Labels {
		out = append(out, "tp:"+l, "fp:"+l, "fn:"+l)
	}
	return out
}

func labelCounts(t *Task, gold Example, pred Prediction) ([]float64, error) {
	if err := checkLabels(t, gold, pred); err != nil {
		return nil, err
	}
	row := make([]float64, 3*len(t.Labels))
	if gold.Label == pred.Label {
		row[3*gold.Label]++
	} else {
		row[3*pred.Label+1]++
		row[3*gold.Label+2]++
	}
	return row, nil
}

// macroF1FromCounts is macroF1 over summed per-label counts: labels absent from gold and
// predictions are left out of the mean.
func macroF1FromCounts(t *Task, sum []float64, _ int) float64 {
	total, present := 0.0, 0
	for c := range t.Labels {
		tp, fp, fn := sum[3*c], sum[3*c+1], sum[3*c+2]
		d := 2*tp + fp + fn
		if d == 0 {
			continue
		}
		present++
		total += 2 * tp / d
	}
	if present == 0 {
		return 0
	}
	return 100 * total / float64(present)
}

// ratioOf is 100·a/b, or 0 when b is 0: ratio over summed counts.
func ratioOf(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * a / b
}
