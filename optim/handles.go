package optim

import (
	"github.com/sugarme/gotch/libtch"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// The optimiser runs about ten tensor operations per parameter per step. Through gotch's
// Tensor methods each result would get a wrapper that allocates 100 KB on the Go heap (to
// push the garbage collector into running finalizers) and takes a global lock (and, in gotch as
// published, leaks the malloc(0) block its result is written into; the copy gotchprep prepares
// frees it). With some 70 parameters in the
// built-in backbone that was most of the optimiser's time, spent in the Go allocator and
// collector. So the step works on libtorch's C handles directly: results are written into a
// Go variable and freed as soon as they are used.

// handle is a libtorch tensor handle owned by the caller, who frees it.
type handle = libtch.Ctensor

// The handle primitives are tsx's; these short names keep the step readable.
var (
	newHandle = tsx.NewHandle
	free      = tsx.FreeHandles
	inplace   = tsx.Inplace
)

// mulScalar sets h ← h·x in place.
func mulScalar(h handle, x float64) error {
	return tsx.WithScalar(x, func(s libtch.Cscalar) error {
		return inplace(func(out *libtch.Ctensor) { libtch.AtgMulScalar_(out, h, s) })
	})
}

// addScalar sets h ← h + x in place.
func addScalar(h handle, x float64) error {
	return tsx.WithScalar(x, func(s libtch.Cscalar) error {
		return inplace(func(out *libtch.Ctensor) { libtch.AtgAddScalar_(out, h, s) })
	})
}

// lerp sets h ← h + w·(end − h) in place.
func lerp(h, end handle, w float64) error {
	return tsx.WithScalar(w, func(s libtch.Cscalar) error {
		return inplace(func(out *libtch.Ctensor) { libtch.AtgLerp_(out, h, end, s) })
	})
}
