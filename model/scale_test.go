//go:build cgo

package model

import (
	"math"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

func TestExactRootScale(t *testing.T) {
	for _, c := range []struct {
		d    int64
		want float64
	}{{1, 1}, {4, 0.5}, {16, 0.25}, {64, 0.125}, {256, 0.0625}, {2, 0}, {8, 0}, {32, 0}, {48, 0}, {96, 0}, {0, 0}, {-4, 0}} {
		if got := exactRootScale(c.d); got != c.want {
			t.Errorf("exactRootScale(%d) = %v, want %v", c.d, got, c.want)
		}
	}
}

// TestScaledQueryIsExact checks the claim attention relies on: with √d a power of two,
// (q·2⁻ᵏ)·kᵀ equals (q·kᵀ)/√d bit for bit on this libtorch and BLAS, and so do the gradients
// of q and k, on fresh random inputs at BERT-base's head size and the built-in's.
func TestScaledQueryIsExact(t *testing.T) {
	lock(t)
	for _, d := range []int64{16, 64} {
		var s tsx.Scope
		q := s.Do(func() (*ts.Tensor, error) { return ts.Randn([]int64{2, 3, 9, d}, gotch.Float, gotch.CPU) })
		k := s.Do(func() (*ts.Tensor, error) { return ts.Randn([]int64{2, 3, 11, d}, gotch.Float, gotch.CPU) })
		g := s.Do(func() (*ts.Tensor, error) { return ts.Randn([]int64{2, 3, 9, 11}, gotch.Float, gotch.CPU) })
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		run := func(folded bool) (scores, dq, dk []float32) {
			var r tsx.Scope
			defer r.Drop()
			qq := r.Do(func() (*ts.Tensor, error) { return q.Detach(false) })
			kk := r.Do(func() (*ts.Tensor, error) { return k.Detach(false) })
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			for _, x := range []*ts.Tensor{qq, kk} {
				if err := setRequiresGrad(x, true); err != nil {
					t.Fatal(err)
				}
			}
			a := qq
			if folded {
				a = r.Do(func() (*ts.Tensor, error) { return qq.MulScalar(ts.FloatScalar(exactRootScale(d)), false) })
			}
			kt := r.Do(func() (*ts.Tensor, error) { return kk.Transpose(-1, -2, false) })
			sc := r.Do(func() (*ts.Tensor, error) { return a.Matmul(kt, false) })
			if !folded {
				sc = r.Do(func() (*ts.Tensor, error) { return sc.DivScalar(ts.FloatScalar(math.Sqrt(float64(d))), false) })
			}
			loss := r.Do(func() (*ts.Tensor, error) { return sc.Mul(g, false) })
			loss = r.Do(func() (*ts.Tensor, error) { return loss.Sum(gotch.Float, false) })
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			if err := loss.Backward(); err != nil {
				t.Fatal(err)
			}
			gq := r.Do(func() (*ts.Tensor, error) { return qq.Grad(false) })
			gk := r.Do(func() (*ts.Tensor, error) { return kk.Grad(false) })
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			return floats(t, sc), floats(t, gq), floats(t, gk)
		}
		s1, q1, k1 := run(false)
		s2, q2, k2 := run(true)
		for _, c := range []struct {
			name string
			a, b []float32
		}{{"scores", s1, s2}, {"q gradient", q1, q2}, {"k gradient", k1, k2}} {
			if len(c.a) != len(c.b) || len(c.a) == 0 {
				t.Fatalf("d %d %s: %d and %d values", d, c.name, len(c.a), len(c.b))
			}
			for i := range c.a {
				if math.Float32bits(c.a[i]) != math.Float32bits(c.b[i]) {
					t.Fatalf("d %d %s[%d]: %v scaled after, %v scaled before", d, c.name, i, c.a[i], c.b[i])
				}
			}
		}
		s.Drop()
	}
}
