package clue

import (
	"math"
	"math/rand"
	"strings"
	"testing"
)

// Every registered task's metrics recompute from their per-example statistics to what
// Evaluate computes, on the task's fixtures (train and dev, labelled) with perfect and with
// random predictions, from all rows and, for the headline, from random multisets of rows (as
// a bootstrap draws them) against Evaluate over the same multiset of examples. A task of a
// kind this test cannot make predictions for fails it, so a new kind brings its own.
func TestExampleStatsRecomputeEvaluate(t *testing.T) {
	rng := rand.New(rand.NewSource(20261207))
	for _, name := range Names() {
		task := mustLookup(t, name)
		sel := "full"
		if len(task.Dirs) == 0 {
			sel = "few:0"
		}
		ds := loadFixture(t, task, sel)
		gold := append(append([]Example(nil), ds.Train...), ds.Dev...)
		for _, mode := range []string{"perfect", "random"} {
			t.Run(name+"/"+mode, func(t *testing.T) {
				pred := make([]Prediction, len(gold))
				for i, ex := range gold {
					if mode == "perfect" {
						pred[i] = perfectPrediction(ex)
					} else {
						pred[i] = randomPrediction(t, rng, task, ex)
					}
				}
				want, err := Evaluate(task, gold, pred)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range task.Metrics {
					st, err := ExampleStatsOf(task, m.Name, gold, pred)
					if err != nil {
						t.Fatalf("%s: %v", m.Name, err)
					}
					cols, err := StatsColumns(task, m.Name)
					if err != nil || strings.Join(cols, ",") != strings.Join(st.Columns, ",") || len(st.Rows) != len(gold) {
						t.Fatalf("%s: columns %v (%v), stats columns %v, %d rows for %d examples", m.Name, cols, err, st.Columns, len(st.Rows), len(gold))
					}
					all := make([]int, len(gold))
					for i := range all {
						all[i] = i
					}
					if got := recompute(t, task, m.Name, st, all); math.Abs(got-want[m.Name]) > 1e-9 {
						t.Errorf("%s: recomputed %.12f from all rows, Evaluate %.12f", m.Name, got, want[m.Name])
					}
				}
				head := task.Headline().Name
				st, err := ExampleStatsOf(task, head, gold, pred)
				if err != nil {
					t.Fatal(err)
				}
				for k := 0; k < 30; k++ {
					idx := make([]int, 1+rng.Intn(2*len(gold)))
					sg, sp := make([]Example, len(idx)), make([]Prediction, len(idx))
					for j := range idx {
						idx[j] = rng.Intn(len(gold))
						sg[j], sp[j] = gold[idx[j]], pred[idx[j]]
					}
					w, err := Evaluate(task, sg, sp)
					if err != nil {
						t.Fatal(err)
					}
					if got := recompute(t, task, head, st, idx); math.Abs(got-w[head]) > 1e-9 {
						t.Errorf("%s on a multiset of %d rows: recomputed %.12f, Evaluate %.12f", head, len(idx), got, w[head])
					}
				}
			})
		}
	}
}

// recompute sums the rows idx of st and recomputes the metric from the sums.
func recompute(t *testing.T, task *Task, metric string, st *ExampleStats, idx []int) float64 {
	t.Helper()
	combine, err := StatsCombiner(task, metric)
	if err != nil {
		t.Fatal(err)
	}
	sum := make([]float64, len(st.Columns))
	for _, i := range idx {
		for c, v := range st.Rows[i] {
			sum[c] += v
		}
	}
	return combine(sum, len(idx))
}

func perfectPrediction(ex Example) Prediction {
	p := Prediction{Label: ex.Label, Entities: ex.Entities}
	if len(ex.Answers) > 0 {
		p.Answer = ex.Answers[0].Text
	}
	return p
}

// randomPrediction is a prediction of the example's kind that is sometimes right: a random
// label or choice (with random scores for joint decisions), gold entities kept, retyped or
// dropped beside random spans and repeats, or a gold answer, a piece of the context or
// nothing.
func randomPrediction(t *testing.T, rng *rand.Rand, task *Task, ex Example) Prediction {
	t.Helper()
	switch task.Kind {
	case Classification:
		return Prediction{Label: rng.Intn(len(task.Labels))}
	case MultipleChoice:
		p := Prediction{Label: rng.Intn(len(ex.Choices))}
		for range ex.Choices {
			p.Scores = append(p.Scores, rng.NormFloat64())
		}
		return p
	case NER:
		p := Prediction{Label: -1, Entities: []Entity{}}
		text := []rune(ex.TextA)
		for _, e := range ex.Entities {
			switch rng.Intn(3) {
			case 0:
				p.Entities = append(p.Entities, e, e) // a repeat counts once
			case 1:
				e.Type = rng.Intn(len(task.Labels))
				p.Entities = append(p.Entities, e)
			}
		}
		for k := rng.Intn(3); k > 0 && len(text) > 0; k-- {
			s := rng.Intn(len(text))
			e := s + rng.Intn(min(4, len(text)-s))
			p.Entities = append(p.Entities, Entity{Type: rng.Intn(len(task.Labels)), Start: s, End: e, Text: string(text[s : e+1])})
		}
		return p
	case Span:
		p := Prediction{Label: -1}
		ctx := []rune(ex.TextB)
		switch rng.Intn(3) {
		case 0:
			if len(ex.Answers) > 0 {
				p.Answer = ex.Answers[rng.Intn(len(ex.Answers))].Text
			}
		case 1:
			if len(ctx) > 0 {
				s := rng.Intn(len(ctx))
				p.Answer = string(ctx[s:min(len(ctx), s+1+rng.Intn(8))])
			}
		}
		return p
	}
	t.Fatalf("task %s: no random predictions for kind %q", task.Name, task.Kind)
	return Prediction{}
}

// Statistics fail where Evaluate fails, and a metric without them is named.
func TestExampleStatsRejects(t *testing.T) {
	task := mustLookup(t, "afqmc")
	gold := []Example{{Label: 0}, {Label: 1}}
	if _, err := ExampleStatsOf(task, "accuracy", gold, []Prediction{{Label: 0}, {Label: 2}}); err == nil || !strings.Contains(err.Error(), "predicted label 2") {
		t.Errorf("label out of range: %v", err)
	}
	if _, err := ExampleStatsOf(task, "accuracy", gold, []Prediction{{Label: 0}}); err == nil {
		t.Error("length mismatch: no error")
	}
	if _, err := ExampleStatsOf(task, "accuracy", []Example{{Label: -1}}, []Prediction{{Label: 0}}); err == nil || !strings.Contains(err.Error(), "unlabelled") {
		t.Errorf("unlabelled gold: %v", err)
	}
	if _, err := StatsCombiner(task, "bleu"); err == nil || !strings.Contains(err.Error(), `"bleu" has no per-example statistics`) {
		t.Errorf("unknown metric: %v", err)
	}
}

// The hash changes with an example's content or order, not with where it was read from.
func TestExamplesHash(t *testing.T) {
	a := []Example{{ID: "1", TextA: "甲", Label: 0, Line: 1, Group: "/data/x.json:1"}, {ID: "2", TextA: "乙", Label: 1, Line: 2}}
	b := append([]Example(nil), a...)
	b[0].Line, b[0].Group = 7, "/elsewhere/x.json:1"
	if ExamplesHash(a) != ExamplesHash(b) || !strings.HasPrefix(ExamplesHash(a), "sha256:") {
		t.Errorf("same examples read elsewhere: %s vs %s", ExamplesHash(a), ExamplesHash(b))
	}
	for name, mutate := range map[string]func([]Example){
		"label": func(e []Example) { e[1].Label = 0 },
		"text":  func(e []Example) { e[0].TextA = "丙" },
		"id":    func(e []Example) { e[0].ID = "3" },
		"order": func(e []Example) { e[0], e[1] = e[1], e[0] },
	} {
		c := append([]Example(nil), a...)
		mutate(c)
		if ExamplesHash(c) == ExamplesHash(a) {
			t.Errorf("%s changed, hash did not", name)
		}
	}
}
