package tensortest

import (
	"math"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

func tensor(t *testing.T, v []float32, dims ...int64) *ts.Tensor {
	x, err := ts.NewTensorFromData(v, dims)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tsx.Drop(x) })
	return x
}

func TestMaxDiff(t *testing.T) {
	Lock(t)
	// (B=1, T=2, H=2): position 1 differs by 5, position 0 by 0.5.
	a := tensor(t, []float32{1, 2, 3, 4}, 1, 2, 2)
	b := tensor(t, []float32{1.5, 2, 8, 4}, 1, 2, 2)
	if d := MaxDiff(t, a, b, nil); d != 5 {
		t.Errorf("all positions: %g, want 5", d)
	}
	if d := MaxDiff(t, a, b, func(_, pos int) bool { return pos == 0 }); d != 0.5 {
		t.Errorf("position 0 only: %g, want 0.5", d)
	}
	n := tensor(t, []float32{1, float32(math.NaN()), 3, 4}, 1, 2, 2)
	if d := MaxDiff(t, a, n, nil); !math.IsInf(d, 1) {
		t.Errorf("NaN: %g, want +Inf", d)
	}
	h, err := a.Totype(gotch.Double, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(h)
	if got := Floats(t, h); len(got) != 4 || got[3] != 4 {
		t.Errorf("float64 tensor read as %v", got)
	}
}
