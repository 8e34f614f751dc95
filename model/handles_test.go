//go:build cgo

package model

import (
	"math"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
)

// TestDropout checks the encoder's dropout against torch's definition: each element is zeroed
// with probability p and the rest scaled by 1/(1−p), the gradient is the same mask, and eval
// mode passes the input through untouched. float32 takes the fused mask, float64 libtorch's.
func TestDropout(t *testing.T) {
	for _, dt := range []gotch.DType{gotch.Float, gotch.Double} {
		t.Run(dt.String(), func(t *testing.T) { testDropout(t, dt) })
	}
}

func testDropout(t *testing.T, dt gotch.DType) {
	lock(t)
	const n, p = 200000, 0.25
	x, err := ts.Ones([]int64{n}, dt, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(x)
	if err := setRequiresGrad(x, true); err != nil {
		t.Fatal(err)
	}
	var s hscope
	defer s.free()
	if y, err := s.dropout(handle(x), p, false); err != nil || y != handle(x) {
		t.Fatalf("eval dropout returned a new tensor (%v)", err)
	}
	y, err := s.dropout(handle(x), p, true)
	if err != nil {
		t.Fatal(err)
	}
	out := wrap(s.keep(y))
	defer tsx.Drop(out)
	vals := floats(t, out)
	scale := float32(1 / (1 - p))
	zeros := 0
	for i, v := range vals {
		switch v {
		case 0:
			zeros++
		case scale:
		default:
			t.Fatalf("element %d is %v, want 0 or %v", i, v, scale)
		}
	}
	if len(vals) != n {
		t.Fatalf("%d values, want %d", len(vals), n)
	}
	// Binomial(n, p): the standard deviation of the zeroed fraction is about 0.001.
	if frac := float64(zeros) / n; math.Abs(frac-p) > 0.006 {
		t.Errorf("zeroed fraction %.4f, want %.2f", frac, p)
	}
	sum, err := out.Sum(gotch.Float, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(sum)
	if err := sum.Backward(); err != nil {
		t.Fatal(err)
	}
	g, err := x.Grad(false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(g)
	for i, v := range floats(t, g) {
		if v != vals[i] {
			t.Fatalf("gradient element %d is %v, want the mask value %v", i, v, vals[i])
		}
	}
}

// TestDropoutSeeded checks that libtorch's seed fixes the fused masks and that consecutive
// masks differ.
func TestDropoutSeeded(t *testing.T) {
	lock(t)
	x, err := ts.Ones([]int64{4096}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(x)
	draw := func() []float32 {
		var s hscope
		defer s.free()
		y, err := s.dropout(handle(x), 0.5, true)
		if err != nil {
			t.Fatal(err)
		}
		out := wrap(s.keep(y))
		defer tsx.Drop(out)
		return floats(t, out)
	}
	torchrt.ManualSeed(11)
	a, b := draw(), draw()
	torchrt.ManualSeed(11)
	a2 := draw()
	same := 0
	for i := range a {
		if a[i] != a2[i] {
			t.Fatalf("element %d differs after re-seeding", i)
		}
		if a[i] == b[i] {
			same++
		}
	}
	if same > len(a)*6/10 {
		t.Errorf("consecutive masks agree on %d of %d elements", same, len(a))
	}
}

// TestDropoutExported checks the dropout tuning methods call: on an expanded (non-contiguous)
// input, as the prefix's keys and values are, every copy of a row gets a mask of its own; with
// p = 0 the input comes back as is.
func TestDropoutExported(t *testing.T) {
	lock(t)
	row, err := ts.Ones([]int64{1, 4096}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(row)
	x, err := row.Expand([]int64{2, 4096}, false, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(x)
	same, err := Dropout(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := floats(t, same); got[0] != 1 || got[len(got)-1] != 1 {
		t.Errorf("p = 0 changed the input: %v … %v", got[0], got[len(got)-1])
	}
	tsx.Drop(same)
	y, err := Dropout(x, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(y)
	vals := floats(t, y)
	agree, zeros := 0, 0
	for i := range 4096 {
		for _, v := range []float32{vals[i], vals[4096+i]} {
			if v != 0 && v != 2 {
				t.Fatalf("element %d is %v, want 0 or 2", i, v)
			}
			if v == 0 {
				zeros++
			}
		}
		if vals[i] == vals[4096+i] {
			agree++
		}
	}
	// Independent masks agree on half the positions (standard deviation 32 of 4096).
	if agree > 2300 || zeros < 3800 || zeros > 4400 {
		t.Errorf("the two copies agree on %d of 4096 positions, %d of 8192 zeroed", agree, zeros)
	}
	if _, err := Dropout(nil, 0.5); err == nil {
		t.Error("Dropout(nil) gave no error")
	}
}
