package reports

import "math"

// Summary is a sample over seeds: mean, sample standard deviation (n−1 denominator) and size.
// Std is 0 when N < 2; callers that care check N rather than treat 0 as "no noise".
type Summary struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	N    int     `json:"n"`
}

// Summarize computes the mean and sample standard deviation of xs.
func Summarize(xs []float64) Summary {
	s := Summary{N: len(xs)}
	if s.N == 0 {
		return s
	}
	for _, x := range xs {
		s.Mean += x
	}
	s.Mean /= float64(s.N)
	if s.N < 2 {
		return s
	}
	var ss float64
	for _, x := range xs {
		d := x - s.Mean
		ss += d * d
	}
	s.Std = math.Sqrt(ss / float64(s.N-1))
	return s
}

// PooledStd is the usual pooled standard deviation of two samples,
//
//	sqrt(((n_a−1)·s_a² + (n_b−1)·s_b²) / (n_a + n_b − 2)),
//
// i.e. the seed-to-seed spread both samples are assumed to share. It is 0 when either sample
// has fewer than two values, because then one side carries no estimate of the spread.
func PooledStd(a, b Summary) float64 {
	if a.N < 2 || b.N < 2 {
		return 0
	}
	num := float64(a.N-1)*a.Std*a.Std + float64(b.N-1)*b.Std*b.Std
	return math.Sqrt(num / float64(a.N+b.N-2))
}

// geoMean is the geometric mean of positive ratios; a ratio is symmetric under it (2× and
// 0.5× average to 1×), which the arithmetic mean is not. Non-positive values are skipped.
func geoMean(xs []float64) (float64, int) {
	var sum float64
	n := 0
	for _, x := range xs {
		if x > 0 && !math.IsInf(x, 0) {
			sum += math.Log(x)
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return math.Exp(sum / float64(n)), n
}
