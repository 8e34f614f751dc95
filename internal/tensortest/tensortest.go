package tensortest

import (
	"math"
	"runtime"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// Lock pins the test goroutine to its OS thread until the test ends: libtorch's grad mode is
// per thread.
func Lock(t testing.TB) {
	t.Helper()
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
}

// Shape is x's shape.
func Shape(t testing.TB, x *ts.Tensor) []int64 {
	t.Helper()
	s, err := x.Size()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Floats returns x's elements as float32, whatever its floating dtype or layout.
func Floats(t testing.TB, x *ts.Tensor) []float32 {
	t.Helper()
	f, err := x.Totype(gotch.Float, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(f)
	c, err := f.Contiguous(true)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(c)
	n := int64(1)
	for _, d := range Shape(t, c) {
		n *= d
	}
	out := make([]float32, n)
	if err := c.CopyData(out, uint(len(out))); err != nil {
		t.Fatal(err)
	}
	return out
}

// MaxDiff is the largest |a−b| over the elements of two tensors of one shape; NaN anywhere
// gives +Inf. For 3-D (B, T, H) tensors only the (row, pos) pairs where keep holds count;
// keep == nil counts all.
func MaxDiff(t testing.TB, a, b *ts.Tensor, keep func(row, pos int) bool) float64 {
	t.Helper()
	sa, sb := Shape(t, a), Shape(t, b)
	if len(sa) != len(sb) {
		t.Fatalf("shapes differ: %v vs %v", sa, sb)
	}
	for i := range sa {
		if sa[i] != sb[i] {
			t.Fatalf("shapes differ: %v vs %v", sa, sb)
		}
	}
	va, vb := Floats(t, a), Floats(t, b)
	inner, perRow := len(va), len(va)
	if len(sa) == 3 {
		inner, perRow = int(sa[2]), int(sa[1]*sa[2])
	}
	worst := 0.0
	for i := range va {
		if keep != nil && len(sa) == 3 && !keep(i/perRow, (i%perRow)/inner) {
			continue
		}
		d := math.Abs(float64(va[i]) - float64(vb[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		worst = math.Max(worst, d)
	}
	return worst
}
