package plan

import "testing"

func TestSchedule(t *testing.T) {
	h := Hyper{BatchSize: 8, Accumulate: 2, Epochs: 2.5}
	tests := []struct {
		name                       string
		edit                       func(*Hyper)
		nTrain, limit              int
		perEpoch, total, evalEvery int
	}{
		{"epochs", func(*Hyper) {}, 33, 0, 3, 8, 3}, // 5 micro-batches → 3 steps; ceil(2.5×3)
		{"max_steps", func(h *Hyper) { h.MaxSteps = 20 }, 33, 0, 3, 20, 3},
		{"limit caps", func(*Hyper) {}, 33, 5, 3, 5, 3},
		{"limit above total", func(*Hyper) {}, 33, 50, 3, 8, 3},
		{"eval_every", func(h *Hyper) { h.EvalEvery = 2 }, 33, 0, 3, 8, 2},
		{"no data", func(*Hyper) {}, 0, 0, 1, 3, 1}, // at least one step per epoch
	}
	for _, tc := range tests {
		hh := h
		tc.edit(&hh)
		p, n, e := Schedule(hh, tc.nTrain, tc.limit)
		if p != tc.perEpoch || n != tc.total || e != tc.evalEvery {
			t.Errorf("%s: Schedule = %d, %d, %d; want %d, %d, %d", tc.name, p, n, e, tc.perEpoch, tc.total, tc.evalEvery)
		}
		if tc.limit == 0 && EstimateSteps(hh, tc.nTrain) != n {
			t.Errorf("%s: EstimateSteps = %d, want %d", tc.name, EstimateSteps(hh, tc.nTrain), n)
		}
	}
}
