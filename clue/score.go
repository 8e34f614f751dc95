package clue

import "fmt"

// metricFunc computes one metric over gold examples and aligned predictions, in percent.
type metricFunc func(t *Task, gold []Example, pred []Prediction) (float64, error)

// metricFuncs computes each metric a task may declare. A name valid for one kind only is
// keyed "kind/name" ("ner/f1"), so kinds can share short names that tables abbreviate ("f1")
// without sharing definitions; metricFor looks the kind's key up first.
var metricFuncs = map[string]metricFunc{
	"accuracy": labelMetric(accuracy),
	"macro_f1": labelMetric(macroF1),
}

// registerMetric adds a metric from a task file's init; a duplicate is a programming error.
func registerMetric(key string, f metricFunc) {
	if _, dup := metricFuncs[key]; dup {
		panic("clue: duplicate metric " + key)
	}
	metricFuncs[key] = f
}

func metricFor(t *Task, name string) (metricFunc, bool) { return byKind(metricFuncs, t, name) }

// byKind looks name up in a registry keyed by metric name, where a task kind's own entry
// ("kind/name") wins over the generic one.
func byKind[V any](m map[string]V, t *Task, name string) (V, bool) {
	if v, ok := m[t.Kind+"/"+name]; ok {
		return v, true
	}
	v, ok := m[name]
	return v, ok
}

// Evaluate computes the task's metrics over gold examples and the predictions made for them,
// in the same order. Every gold example must be labelled.
func Evaluate(t *Task, gold []Example, pred []Prediction) (map[string]float64, error) {
	if len(gold) != len(pred) {
		return nil, fmt.Errorf("clue/%s: score: %d gold examples but %d predictions", t.Name, len(gold), len(pred))
	}
	if len(gold) == 0 {
		return nil, fmt.Errorf("clue/%s: score: no examples", t.Name)
	}
	for i, ex := range gold {
		if !ex.Labelled() {
			return nil, fmt.Errorf("clue/%s: score: gold[%d] (id %s) is unlabelled", t.Name, i, ex.ID)
		}
	}
	pred = append([]Prediction(nil), pred...) // Resolve writes Assigned; the caller's stay as given
	Resolve(t, gold, pred)
	out := make(map[string]float64, len(t.Metrics))
	for _, m := range t.Metrics {
		f, ok := metricFor(t, m.Name)
		if !ok {
			return nil, fmt.Errorf("clue/%s: score: unknown metric %q", t.Name, m.Name)
		}
		v, err := f(t, gold, pred)
		if err != nil {
			return nil, fmt.Errorf("clue/%s: score: %s: %w", t.Name, m.Name, err)
		}
		out[m.Name] = v
	}
	return out, nil
}

// Score computes a label task's metrics ("accuracy", "macro_f1", ...) in [0, 100] from label
// indices.
func Score(t *Task, gold []int, pred []int) (map[string]float64, error) {
	if len(gold) != len(pred) {
		return nil, fmt.Errorf("clue/%s: score: %d gold labels but %d predictions", t.Name, len(gold), len(pred))
	}
	if len(gold) == 0 {
		return nil, fmt.Errorf("clue/%s: score: no examples", t.Name)
	}
	n := len(t.Labels)
	exs := make([]Example, len(gold))
	preds := make([]Prediction, len(pred))
	for i := range gold {
		if gold[i] < 0 || gold[i] >= n {
			return nil, fmt.Errorf("clue/%s: score: gold[%d] = %d is not a label index in [0, %d)", t.Name, i, gold[i], n)
		}
		exs[i], preds[i] = Example{Label: gold[i]}, Prediction{Label: pred[i]}
	}
	return Evaluate(t, exs, preds)
}

// labelMetric adapts a metric over label indices, checking the indices first.
func labelMetric(f func(nLabels int, gold, pred []int) float64) metricFunc {
	return func(t *Task, gold []Example, pred []Prediction) (float64, error) {
		n := len(t.Labels)
		g, p := make([]int, len(gold)), make([]int, len(pred))
		for i := range gold {
			g[i], p[i] = gold[i].Label, pred[i].Label
			if g[i] < 0 || g[i] >= n {
				return 0, fmt.Errorf("gold[%d] = %d is not a label index in [0, %d)", i, g[i], n)
			}
			if p[i] < 0 || p[i] >= n {
				return 0, fmt.Errorf("pred[%d] = %d is not a label index in [0, %d)", i, p[i], n)
			}
		}
		return f(n, g, p), nil
	}
}

func accuracy(_ int, gold, pred []int) float64 {
	hit := 0
	for i := range gold {
		if gold[i] == pred[i] {
			hit++
		}
	}
	return 100 * float64(hit) / float64(len(gold))
}

// macroF1 averages per-label F1 over the labels that occur in gold or pred, which is what
// sklearn's f1_score(average="macro") does with its default labels=None. Labels absent from
// both are left out rather than counted as 0 or 1: a 119-way IFLYTEK dev set that lacks a rare
// class would otherwise be penalised (or rewarded) for a class nobody could get wrong or right.
// A label that occurs in only one of gold or pred scores 0, matching sklearn's zero_division=0
// outcome. Per-label F1 is 2·TP / (2·TP + FP + FN), equal to the harmonic mean of precision
// and recall.
func macroF1(nLabels int, gold, pred []int) float64 {
	tp := make([]int, nLabels)
	fp := make([]int, nLabels)
	fn := make([]int, nLabels)
	for i := range gold {
		if gold[i] == pred[i] {
			tp[gold[i]]++
		} else {
			fp[pred[i]]++
			fn[gold[i]]++
		}
	}
	sum, present := 0.0, 0
	for c := 0; c < nLabels; c++ {
		d := 2*tp[c] + fp[c] + fn[c]
		if d == 0 {
			continue
		}
		present++
		sum += float64(2*tp[c]) / float64(d)
	}
	if present == 0 {
		return 0
	}
	return 100 * sum / float64(present)
}
