package results

import "testing"

func TestConvergenceOf(t *testing.T) {
	acc := Metric{Name: "accuracy", HigherIsBetter: true}
	curve := []EvalPoint{
		{Step: 10, Dev: map[string]float64{"accuracy": 50}},
		{Step: 20, Dev: map[string]float64{"accuracy": 96}},
		{Step: 30, Dev: map[string]float64{"accuracy": 99.5}},
		{Step: 40, Dev: map[string]float64{"accuracy": 100}},
		{Step: 50, Dev: map[string]float64{"accuracy": 98}},
	}
	got := ConvergenceOf(curve, acc)
	want := Convergence{BestStep: 40, Step95: 20, Step99: 30}
	if got != want {
		t.Fatalf("got %+v want %+v", got, want)
	}
	loss := Metric{Name: "loss"}
	curve = []EvalPoint{{Step: 1, Dev: map[string]float64{"loss": 2}}, {Step: 2, Dev: map[string]float64{"loss": 1.005}}, {Step: 3, Dev: map[string]float64{"loss": 1}}}
	if got := ConvergenceOf(curve, loss); got != (Convergence{BestStep: 3, Step95: 2, Step99: 2}) {
		t.Fatalf("lower-is-better: %+v", got)
	}
}
