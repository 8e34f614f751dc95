package clue

import (
	"math"
	"strings"
	"testing"
)

func TestScore(t *testing.T) {
	three := &Task{Name: "three", Labels: []string{"a", "b", "c"}, Metrics: classificationMetrics()}
	tests := []struct {
		name     string
		gold     []int
		pred     []int
		acc, mf1 float64
	}{
		// Per label: a: TP1 FP1 FN1 → 2/4; b: TP2 FP1 FN0 → 4/5; c: TP0 FP0 FN1 → 0.
		// macro = (0.5 + 0.8 + 0) / 3.
		{"all labels present", []int{0, 0, 1, 1, 2}, []int{0, 1, 1, 1, 0}, 60, 100 * 1.3 / 3},
		// c occurs in neither gold nor pred, so it is left out: (2/3 + 4/5) / 2.
		{"absent label excluded", []int{0, 1, 0, 1}, []int{0, 1, 1, 1}, 75, 100 * (2.0/3 + 0.8) / 2},
		// Predicting only the majority class: a: TP3 FP1 FN0 → 6/7; b: TP0 FP0 FN1 → 0.
		{"majority collapse", []int{0, 0, 0, 1}, []int{0, 0, 0, 0}, 75, 100 * (6.0 / 7) / 2},
		// c appears only in pred, so it counts, with F1 0. a: TP1 → 1; b: FN1 → 0; c: FP1 → 0.
		{"label only predicted", []int{0, 1}, []int{0, 2}, 50, 100 * 1.0 / 3},
		{"perfect", []int{2, 1, 0}, []int{2, 1, 0}, 100, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Score(three, tc.gold, tc.pred)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Errorf("metrics = %v, want accuracy and macro_f1 only", got)
			}
			if math.Abs(got["accuracy"]-tc.acc) > 1e-9 || math.Abs(got["macro_f1"]-tc.mf1) > 1e-9 {
				t.Errorf("accuracy, macro_f1 = %.6f, %.6f; want %.6f, %.6f", got["accuracy"], got["macro_f1"], tc.acc, tc.mf1)
			}
		})
	}
}

func TestScoreRejects(t *testing.T) {
	task := mustLookup(t, "afqmc")
	tests := []struct {
		name       string
		gold, pred []int
		want       string
	}{
		{"length mismatch", []int{0, 1}, []int{0}, "2 gold labels but 1 predictions"},
		{"empty", nil, nil, "no examples"},
		{"unlabelled gold", []int{-1}, []int{0}, "gold[0] = -1"},
		{"prediction out of range", []int{0, 1}, []int{0, 2}, "pred[1] = 2"},
	}
	for _, tc := range tests {
		if _, err := Score(task, tc.gold, tc.pred); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
