//go:build cgo

package model

import (
	"math"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// TestDropout checks the encoder's dropout against torch's definition: each element is zeroed
// with probability p and the rest scaled by 1/(1−p), the gradient is the same mask, and eval
// mode passes the input through untouched.
func TestDropout(t *testing.T) {
	lock(t)
	const n, p = 200000, 0.25
	x, err := ts.Ones([]int64{n}, gotch.Float, gotch.CPU)
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
