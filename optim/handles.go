package optim

import (
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// The optimiser runs about ten tensor operations per parameter per step. Through gotch's
// Tensor methods each result would get a wrapper that allocates 100 KB on the Go heap (to
// push the garbage collector into running finalizers) and takes a global lock, and each call
// leaks the malloc(0) block its result is written into. With some 70 parameters in the
// built-in backbone that was most of the optimiser's time, spent in the Go allocator and
// collector. So the step works on libtorch's C handles directly: results are written into a
// Go variable and freed as soon as they are used.

// handle is a libtorch tensor handle owned by the caller, who frees it.
type handle = libtch.Ctensor

// newHandle runs a libtch call that returns a new tensor and checks libtorch's error.
func newHandle(call func(out *libtch.Ctensor)) (handle, error) {
	var out libtch.Ctensor
	call(&out)
	if err := ts.TorchErr(); err != nil {
		if out != nil {
			libtch.AtFree(out)
		}
		return nil, tsx.Err(err)
	}
	return out, nil
}

// free releases handles, skipping nils.
func free(hs ...handle) {
	for _, h := range hs {
		if h != nil {
			libtch.AtFree(h)
		}
	}
}

// gradOf returns t's gradient handle, or nil if t has no gradient yet.
func gradOf(t *ts.Tensor) (handle, error) {
	g, err := newHandle(func(out *libtch.Ctensor) { libtch.AtgGrad(out, tsx.Handle(t)) })
	if err != nil {
		return nil, err
	}
	if !libtch.AtDefined(g) {
		free(g)
		return nil, nil
	}
	return g, nil
}

// inplace runs a libtch in-place call on handles and frees the extra handle it returns.
func inplace(call func(out *libtch.Ctensor)) error { return tsx.Inplace(call) }

// withScalar passes a libtorch float scalar to fn and frees it.
func withScalar(x float64, fn func(libtch.Cscalar) error) error {
	s := libtch.AtsFloat(x)
	defer libtch.AtsFree(s)
	return fn(s)
}

// mulScalar sets h ← h·x in place.
func mulScalar(h handle, x float64) error {
	return withScalar(x, func(s libtch.Cscalar) error {
		return inplace(func(out *libtch.Ctensor) { libtch.AtgMulScalar_(out, h, s) })
	})
}

// addScalar sets h ← h + x in place.
func addScalar(h handle, x float64) error {
	return withScalar(x, func(s libtch.Cscalar) error {
		return inplace(func(out *libtch.Ctensor) { libtch.AtgAddScalar_(out, h, s) })
	})
}

// lerp sets h ← h + w·(end − h) in place.
func lerp(h, end handle, w float64) error {
	return withScalar(w, func(s libtch.Cscalar) error {
		return inplace(func(out *libtch.Ctensor) { libtch.AtgLerp_(out, h, end, s) })
	})
}
