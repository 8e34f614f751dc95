package tsx_test

import (
	"errors"
	"math"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tensortest"
	"github.com/clue-bench/clue-bench/internal/tsx"
)

func vector(t *testing.T, v ...float32) *ts.Tensor {
	t.Helper()
	x, err := ts.NewTensorFromData(v, []int64{int64(len(v))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tsx.Drop(x) })
	return x
}

func TestScope(t *testing.T) {
	tensortest.Lock(t)
	x := vector(t, 1, 2, 3)
	var s tsx.Scope
	a, err := s.Track(x.Neg(false))
	if err != nil {
		t.Fatal(err)
	}
	b := s.Do(func() (*ts.Tensor, error) { return a.Neg(false) })
	kept := s.Keep(s.Do(func() (*ts.Tensor, error) { return b.Neg(false) }))
	if s.Err() != nil || b == nil || kept == nil {
		t.Fatalf("steps: err %v, b %v, kept %v", s.Err(), b, kept)
	}
	s.Drop()
	if a.Ctensor() != nil || b.Ctensor() != nil {
		t.Error("Drop left a tracked tensor alive")
	}
	if kept.Ctensor() == nil {
		t.Fatal("Drop freed the kept tensor")
	}
	defer tsx.Drop(kept)
	if got := tensortest.Floats(t, kept); got[2] != -3 {
		t.Errorf("kept = %v, want −x", got)
	}

	var f tsx.Scope
	defer f.Drop()
	first := errors.New("first")
	if y, err := f.Track(nil, first); y != nil || err == nil || err.Error() != "first" {
		t.Errorf("Track(nil, err) = %v, %v", y, err)
	}
	ran := false
	if y := f.Do(func() (*ts.Tensor, error) { ran = true; return x.Neg(false) }); y != nil || ran {
		t.Error("Do ran a step after a failure")
	}
	f.Track(nil, errors.New("second"))
	if f.Err() == nil || f.Err().Error() != "first" {
		t.Errorf("Err = %v, want the first error", f.Err())
	}
}

// The float helpers must compute exactly what gotch's methods on a ts.FloatScalar compute.
func TestScalarOpsMatchGotch(t *testing.T) {
	tensortest.Lock(t)
	x := vector(t, -2.5, -1, 0, 0.3, 1, 7.25)
	mask := vector(t, 1, 0, 1, 0, 0, 1)
	m, err := mask.Totype(gotch.Bool, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(m)
	idx, err := ts.OfSlice([]int64{1, 4})
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(idx)
	sc := ts.FloatScalar
	cases := []struct {
		name         string
		ours, theirs func() (*ts.Tensor, error)
	}{
		{"Scaled", func() (*ts.Tensor, error) { return tsx.Scaled(x, 1/math.Sqrt(3)) }, func() (*ts.Tensor, error) { return x.MulScalar(sc(1/math.Sqrt(3)), false) }},
		{"Shifted", func() (*ts.Tensor, error) { return tsx.Shifted(x, -0.1) }, func() (*ts.Tensor, error) { return x.AddScalar(sc(-0.1), false) }},
		{"EqScalar", func() (*ts.Tensor, error) { return tsx.EqScalar(x, 1) }, func() (*ts.Tensor, error) { return x.Eq(sc(1), false) }},
		{"GtScalar", func() (*ts.Tensor, error) { return tsx.GtScalar(x, 0) }, func() (*ts.Tensor, error) { return x.Gt(sc(0), false) }},
		{"MaskedFill", func() (*ts.Tensor, error) { return tsx.MaskedFill(x, m, -1e12) }, func() (*ts.Tensor, error) { return x.MaskedFill(m, sc(-1e12), false) }},
		{"IndexFill", func() (*ts.Tensor, error) { return tsx.IndexFill(x, 0, idx, 1) }, func() (*ts.Tensor, error) { return x.IndexFill(0, idx, sc(1), false) }},
		{"Clamped", func() (*ts.Tensor, error) { return tsx.Clamped(x, -2, 2) }, func() (*ts.Tensor, error) { return x.Clamp(sc(-2), sc(2), false) }},
	}
	for _, c := range cases {
		a, err := c.ours()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, err := c.theirs()
		if err != nil {
			t.Fatalf("%s (gotch): %v", c.name, err)
		}
		if a.DType() != b.DType() {
			t.Errorf("%s: dtype %v, gotch %v", c.name, a.DType(), b.DType())
		}
		va, vb := tensortest.Floats(t, a), tensortest.Floats(t, b)
		for i := range va {
			if math.Float32bits(va[i]) != math.Float32bits(vb[i]) {
				t.Errorf("%s: element %d = %v, gotch %v", c.name, i, va[i], vb[i])
			}
		}
		tsx.Drop(a, b)
	}
}

func TestHandlesAndNumel(t *testing.T) {
	tensortest.Lock(t)
	x := vector(t, 1, 2, 3, 4, 5, 6)
	if n, err := tsx.Numel(x); n != 6 || err != nil {
		t.Errorf("Numel = %d, %v; want 6", n, err)
	}
	shape := []int64{4, 4} // 16 elements: libtorch refuses the view
	h, err := tsx.NewHandle(func(out *libtch.Ctensor) { libtch.AtgView(out, tsx.Handle(x), shape, len(shape)) })
	if err == nil || h != nil {
		tsx.FreeHandles(h)
		t.Fatalf("bad view: handle %v, err %v; want an error", h, err)
	}
	shape = []int64{2, 3}
	v, err := tsx.New(func(out *libtch.Ctensor) { libtch.AtgView(out, tsx.Handle(x), shape, len(shape)) })
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(v)
	if n, err := tsx.Numel(v); n != 6 || err != nil {
		t.Errorf("Numel of the view = %d, %v; want 6", n, err)
	}
}

// TestGotchMethodsFreeTheirBlocks: the prepared gotch copy's Tensor methods free the C block
// each call's result handle comes back in (gotchprep.FreeReturnSlots), so 20,000 calls leave
// the C heap where it was; gotch as published grows it by 32 bytes a call (640 KB here).
func TestGotchMethodsFreeTheirBlocks(t *testing.T) {
	tensortest.Lock(t)
	x := vector(t, 1, 2, 3)
	call := func() {
		y, err := x.Neg(false)
		if err != nil {
			t.Fatal(err)
		}
		tsx.Drop(y)
	}
	for range 100 { // libtorch's own first-call allocations
		call()
	}
	const n = 20000
	before := tensortest.MallocInUse(t)
	for range n {
		call()
	}
	if grew := tensortest.MallocInUse(t) - before; grew > n*32/10 {
		t.Errorf("the C heap grew by %d bytes over %d calls of a Tensor method (%.1f a call)", grew, n, float64(grew)/n)
	}
}
