package reports

import (
	"math"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		xs   []float64
		want Summary
	}{
		{nil, Summary{}},
		{[]float64{5}, Summary{Mean: 5, N: 1}},
		{[]float64{1, 2, 3}, Summary{Mean: 2, Std: 1, N: 3}},
		{[]float64{2, 4, 4, 4, 5, 5, 7, 9}, Summary{Mean: 5, Std: math.Sqrt(32.0 / 7), N: 8}},
	}
	for _, tt := range tests {
		got := Summarize(tt.xs)
		if got.N != tt.want.N || math.Abs(got.Mean-tt.want.Mean) > 1e-12 || math.Abs(got.Std-tt.want.Std) > 1e-12 {
			t.Errorf("Summarize(%v) = %+v, want %+v", tt.xs, got, tt.want)
		}
	}
}

func TestPooledStd(t *testing.T) {
	tests := []struct {
		a, b Summary
		want float64
	}{
		{Summary{Std: 1, N: 3}, Summary{Std: 1, N: 3}, 1},
		// ((2·1) + (4·4)) / 6 = 3
		{Summary{Std: 1, N: 3}, Summary{Std: 2, N: 5}, math.Sqrt(3)},
		{Summary{Std: 0, N: 1}, Summary{Std: 2, N: 5}, 0},
	}
	for _, tt := range tests {
		if got := PooledStd(tt.a, tt.b); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("PooledStd(%+v, %+v) = %g, want %g", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestGeoMean(t *testing.T) {
	tests := []struct {
		xs    []float64
		want  float64
		wantN int
	}{
		{[]float64{2, 0.5}, 1, 2},
		{[]float64{1.25, 1.25, 1}, math.Pow(1.25*1.25, 1.0/3), 3},
		{[]float64{4, 0, math.Inf(1)}, 4, 1},
		{nil, 0, 0},
	}
	for _, tt := range tests {
		got, n := geoMean(tt.xs)
		if n != tt.wantN || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("geoMean(%v) = %g, %d; want %g, %d", tt.xs, got, n, tt.want, tt.wantN)
		}
	}
}
