//go:build cgo

package methods

import (
	"math"
	"slices"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
)

// truncCDF is the CDF of N(0, 1) truncated to [−2, 2].
func truncCDF(z float64) float64 {
	phi := func(x float64) float64 { return 0.5 * (1 + math.Erf(x/math.Sqrt2)) }
	z = math.Max(-2, math.Min(2, z))
	return (phi(z) - phi(-2)) / (phi(2) - phi(-2))
}

// TestTruncNormalDistribution compares 200k samples with the truncated normal: support,
// moments and the Kolmogorov–Smirnov distance to the exact CDF.
func TestTruncNormalDistribution(t *testing.T) {
	lock(t)
	torchrt.ManualSeed(7)
	const n, std = 200_000, 0.02
	x, err := truncNormal([]int64{400, 500}, std, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(x)
	if s := shapeOf(t, x); len(s) != 2 || s[0] != 400 || s[1] != 500 || x.DType() != gotch.Float {
		t.Fatalf("shape %v dtype %v", s, x.DType())
	}
	v := floats(t, x)
	z := make([]float64, n)
	var sum, sq float64
	for i, f := range v {
		if math.Abs(float64(f)) > 2*std {
			t.Fatalf("sample %g outside ±2·std", f)
		}
		z[i] = float64(f) / std
		sum += z[i]
		sq += z[i] * z[i]
	}
	mean := sum / n
	sd := math.Sqrt(sq/n - mean*mean)
	// Truncating N(0,1) at ±2 leaves std √(1 − 2·2φ(2)/(2Φ(2)−1)) ≈ 0.87963.
	phi2 := math.Exp(-2) / math.Sqrt(2*math.Pi)
	wantSD := math.Sqrt(1 - 4*phi2/math.Erf(math.Sqrt2))
	if math.Abs(mean) > 5*wantSD/math.Sqrt(n) {
		t.Errorf("mean %.5f·std, want 0", mean)
	}
	if math.Abs(sd-wantSD) > 0.01 {
		t.Errorf("std %.5f·std, want %.5f·std", sd, wantSD)
	}
	slices.Sort(z)
	ks := 0.0
	for i, zi := range z {
		c := truncCDF(zi)
		ks = math.Max(ks, math.Max(math.Abs(c-float64(i)/n), math.Abs(float64(i+1)/n-c)))
	}
	// The 0.1% critical value is 1.95/√n ≈ 0.0044; a plain (untruncated) normal is ~0.023 away.
	if ks > 1.95/math.Sqrt(n) {
		t.Errorf("Kolmogorov–Smirnov distance %.4f > %.4f", ks, 1.95/math.Sqrt(n))
	}
	t.Logf("mean %.5f, std %.5f (want %.5f), KS %.5f", mean, sd, wantSD, ks)

	// Both tails are reached: an off-by-one in the uniform range would cut one of them short.
	if z[0] > -1.99 || z[n-1] < 1.99 {
		t.Errorf("range [%.4f, %.4f]·std, want close to ±2", z[0], z[n-1])
	}
}
