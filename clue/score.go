package clue

import "fmt"

// metricFuncs computes each metric a task may declare, by name, over label indices in
// [0, nLabels). Results are percentages, as CLUE reports them.
var metricFuncs = map[string]func(nLabels int, gold, pred []int) float64{
	"accuracy": accuracy,
	"macro_f1": macroF1,
}

// Score computes the task's metrics ("accuracy", "macro_f1", ...) in [0, 100].
func Score(t *Task, gold []int, pred []int) (map[string]float64, error) {
	if len(gold) != len(pred) {
		return nil, fmt.Errorf("clue/%s: score: %d gold labels but %d predictions", t.Name, len(gold), len(pred))
	}
	if len(gold) == 0 {
		return nil, fmt.Errorf("clue/%s: score: no examples", t.Name)
	}
	n := len(t.Labels)
	for i := range gold {
		if gold[i] < 0 || gold[i] >= n {
			return nil, fmt.Errorf("clue/%s: score: gold[%d] = %d is not a label index in [0, %d)", t.Name, i, gold[i], n)
		}
		if pred[i] < 0 || pred[i] >= n {
			return nil, fmt.Errorf("clue/%s: score: pred[%d] = %d is not a label index in [0, %d)", t.Name, i, pred[i], n)
		}
	}
	out := make(map[string]float64, len(t.Metrics))
	for _, m := range t.Metrics {
		f, ok := metricFuncs[m.Name]
		if !ok {
			return nil, fmt.Errorf("clue/%s: score: unknown metric %q", t.Name, m.Name)
		}
		out[m.Name] = f(n, gold, pred)
	}
	return out, nil
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
