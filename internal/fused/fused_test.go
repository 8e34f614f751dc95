package fused

import (
	"math"
	"math/rand/v2"
	"testing"
)

// adamwRef is the update in Go, one rounding per operation (the float32 conversions stop the
// compiler from fusing a product into an addition).
func adamwRef(p, g, m, v []float32, s AdamWStep) {
	scale := s.GradScale
	if scale == 0 {
		scale = 1
	}
	for i := range p {
		gi := float32(g[i] * scale)
		m[i] = m[i] + float32(s.W1*float32(gi-m[i]))
		v[i] = v[i] + float32(s.W2*float32(float32(gi*gi)-v[i]))
		if s.Update {
			d := float32(float32(math.Sqrt(float64(v[i])))*s.C) + s.E
			p[i] = float32(p[i]*s.Decay) + m[i]/d
		}
	}
}

func randFloats(r *rand.Rand, n int, scale float64, positive bool) []float32 {
	x := make([]float32, n)
	for i := range x {
		f := r.NormFloat64() * scale
		if positive {
			f = math.Abs(f)
		}
		x[i] = float32(f)
	}
	return x
}

func clone(x []float32) []float32 { return append([]float32(nil), x...) }

// TestAdamWMatchesScalar checks every length class (vector body, tail, several chunks) and
// worker count against the one-rounding-per-operation loop, bit for bit. The PyTorch
// reference for the same update is optim's TestAdamWMatchesTorch.
func TestAdamWMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(rand.Uint64(), 1))
	lr, bc1, bc2 := 1e-3, 1-math.Pow(0.9, 3), 1-math.Pow(0.999, 3)
	step := AdamWStep{Decay: float32(1 - lr*0.01), W1: 0.1, W2: 0.001,
		C: float32(-bc1 / (lr * math.Sqrt(bc2))), E: float32(-1e-8 * bc1 / lr), Update: true}
	for _, n := range []int{1, 7, 15, 16, 17, 33, 1000, minChunk*3 + 5, 200003} {
		for _, workers := range []int{1, 2, 3} {
			for k, update := range []bool{true, false} {
				s := step
				s.Update = update
				if (n+workers+k)%2 == 0 { // half the cases clipped
					s.GradScale = float32(0.2 + 0.6*r.Float64())
				}
				p, g := randFloats(r, n, 0.05, false), randFloats(r, n, 1e-3, false)
				m, v := randFloats(r, n, 1e-4, false), randFloats(r, n, 1e-7, true)
				wp, wm, wv := clone(p), clone(m), clone(v)
				adamwRef(wp, g, wm, wv, s)
				if err := AdamW(p, g, m, v, s, workers); err != nil {
					t.Fatal(err)
				}
				for i := range p {
					if math.Float32bits(p[i]) != math.Float32bits(wp[i]) || m[i] != wm[i] || v[i] != wv[i] {
						t.Fatalf("n=%d workers=%d update=%v scale=%v [%d]: p %g m %g v %g, want %g %g %g",
							n, workers, update, s.GradScale, i, p[i], m[i], v[i], wp[i], wm[i], wv[i])
					}
				}
			}
		}
	}
}

func TestAdamWLengths(t *testing.T) {
	x := make([]float32, 4)
	if err := AdamW(x, x[:3], x, x, AdamWStep{}, 1); err == nil {
		t.Fatal("mismatched lengths accepted")
	}
	if err := AdamW(nil, nil, nil, nil, AdamWStep{}, 2); err != nil {
		t.Fatalf("empty tensors: %v", err)
	}
}

// TestDropoutMask checks the mask's values and keep rate, that it is a function of the seed
// and the index alone (any chunking, any worker count), and that neighbouring elements, which
// share one 64-bit draw, are independent.
func TestDropoutMask(t *testing.T) {
	seed := rand.Uint64()
	for _, p := range []float64{0, 0.1, 0.5, 0.9} {
		n := 1_000_003
		mask := make([]float32, n)
		if err := DropoutMask(mask, seed, p, 2); err != nil {
			t.Fatal(err)
		}
		scale := float32(1 / (1 - p))
		kept, both := 0, 0
		for i, x := range mask {
			if x != 0 && x != scale {
				t.Fatalf("p=%v: element %d is %g, want 0 or %g", p, i, x, scale)
			}
			if x != 0 {
				kept++
				if i%2 == 1 && mask[i-1] != 0 {
					both++
				}
			}
		}
		// Binomial keep count within 6 standard deviations, and pairs kept together at the
		// rate (1−p)² of independent draws.
		q := 1 - p
		if sd := math.Sqrt(float64(n) * p * q); math.Abs(float64(kept)-float64(n)*q) > 6*sd+1e-9 {
			t.Errorf("p=%v: kept %d of %d, want %.0f ± %.0f", p, kept, n, float64(n)*q, 6*sd)
		}
		pairs := float64(n / 2)
		if sd := math.Sqrt(pairs * q * q * (1 - q*q)); math.Abs(float64(both)-pairs*q*q) > 6*sd+1e-9 {
			t.Errorf("p=%v: %d pairs kept together, want %.0f ± %.0f", p, both, pairs*q*q, 6*sd)
		}
		for _, workers := range []int{1, 3} {
			again := make([]float32, n)
			if err := DropoutMask(again, seed, p, workers); err != nil {
				t.Fatal(err)
			}
			for i := range mask {
				if again[i] != mask[i] {
					t.Fatalf("p=%v: workers=%d element %d differs", p, workers, i)
				}
			}
		}
		// A fill starting at an odd index must give the same elements as the whole mask.
		part := make([]float32, 1001)
		fillMask(part, 333, seed, uint32(math.Round(p*(1<<32))), scale)
		for i := range part {
			if part[i] != mask[333+i] {
				t.Fatalf("p=%v: chunk from 333, element %d differs", p, i)
			}
		}
	}
	a, b := make([]float32, 4096), make([]float32, 4096)
	_ = DropoutMask(a, 1, 0.5, 1)
	_ = DropoutMask(b, 2, 0.5, 1)
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	if same > 4096*6/10 {
		t.Errorf("seeds 1 and 2 agree on %d of 4096 elements", same)
	}
	for _, p := range []float64{-0.1, 1, math.NaN()} {
		if err := DropoutMask(a, 1, p, 1); err == nil {
			t.Errorf("p=%v accepted", p)
		}
	}
}
