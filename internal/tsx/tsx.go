package tsx

import (
	"errors"
	"runtime"
	"strings"

	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// Err shortens a gotch error to libtorch's message: gotch appends a Go stack trace and
// libtorch a C++ backtrace (see Trim).
func Err(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(strings.TrimSpace(Trim(err.Error())))
}

// Drop frees each non-nil tensor. It is the one way library code frees tensors: gotch's
// MustDrop panics and a bare Drop's error is unused. Drop can only fail in gotch's debug
// accounting (a handle it no longer tracks, which it skips with a warning), never because
// libtorch refused, so there is nothing a caller could do with the error.
func Drop(xs ...*ts.Tensor) {
	for _, x := range xs {
		if x != nil {
			_ = x.Drop()
		}
	}
}

// Handle is t's C handle in the form libtch expects.
func Handle(t *ts.Tensor) libtch.Ctensor { return libtch.Ctensor(t.Ctensor()) }

// Inplace runs a libtch in-place call and frees the extra handle it returns.
func Inplace(call func(out *libtch.Ctensor)) error {
	var out libtch.Ctensor
	call(&out)
	if err := ts.TorchErr(); err != nil {
		return Err(err)
	}
	if out != nil {
		libtch.AtFree(out)
	}
	return nil
}

// MulScalar sets t ← t·x in place.
func MulScalar(t *ts.Tensor, x float64) error {
	return WithScalar(x, func(s libtch.Cscalar) error {
		return Inplace(func(out *libtch.Ctensor) { libtch.AtgMulScalar_(out, Handle(t), s) })
	})
}

// AddScalar sets t ← t + x in place.
func AddScalar(t *ts.Tensor, x float64) error {
	return WithScalar(x, func(s libtch.Cscalar) error {
		return Inplace(func(out *libtch.Ctensor) { libtch.AtgAddScalar_(out, Handle(t), s) })
	})
}

// Lerp sets t ← t + w·(end − t) in place.
func Lerp(t, end *ts.Tensor, w float64) error {
	return WithScalar(w, func(s libtch.Cscalar) error {
		return Inplace(func(out *libtch.Ctensor) { libtch.AtgLerp_(out, Handle(t), Handle(end), s) })
	})
}

// Add sets t ← t + u in place (u broadcast to t).
func Add(t, u *ts.Tensor) error {
	return Inplace(func(out *libtch.Ctensor) { libtch.AtgAdd_(out, Handle(t), Handle(u)) })
}

// Sub sets t ← t − u in place.
func Sub(t, u *ts.Tensor) error {
	return Inplace(func(out *libtch.Ctensor) { libtch.AtgSub_(out, Handle(t), Handle(u)) })
}

// Zero sets t ← 0 in place.
func Zero(t *ts.Tensor) error {
	return Inplace(func(out *libtch.Ctensor) { libtch.AtgZero_(out, Handle(t)) })
}

// Detach detaches t from the autograd graph in place.
func Detach(t *ts.Tensor) error {
	return Inplace(func(out *libtch.Ctensor) { libtch.AtgDetach_(out, Handle(t)) })
}

// Copy copies src into dst in place without recording it in autograd. Shapes must match:
// libtorch would broadcast a smaller source silently.
func Copy(dst, src *ts.Tensor) error {
	return NoGrad(func() error {
		libtch.AtCopy_(Handle(dst), Handle(src))
		return Err(ts.TorchErr())
	})
}

// NoGrad runs fn with autograd recording off on this OS thread and restores the previous mode.
func NoGrad(fn func() error) error {
	runtime.LockOSThread() // nests; keeps the switch and the restore on one thread
	defer runtime.UnlockOSThread()
	prev := int32(libtch.AtGradSetEnabled(0))
	if err := ts.TorchErr(); err != nil {
		return Err(err)
	}
	defer libtch.AtGradSetEnabled(int(prev))
	return fn()
}
