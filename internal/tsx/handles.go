package tsx

import (
	"fmt"

	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// NewHandle runs a libtch call that writes a new tensor handle and checks libtorch's error.
// The caller owns the handle and frees it with FreeHandles. Code that makes many temporaries
// per step (the encoder's forward pass, the optimiser) works on bare handles: each gotch
// Tensor wrapper costs a 100 KB Go allocation and a global lock.
func NewHandle(call func(out *libtch.Ctensor)) (libtch.Ctensor, error) {
	var out libtch.Ctensor
	call(&out)
	if err := ts.TorchErr(); err != nil {
		if out != nil {
			libtch.AtFree(out)
		}
		return nil, Err(err)
	}
	return out, nil
}

// FreeHandles frees tensor handles, skipping nils.
func FreeHandles(hs ...libtch.Ctensor) {
	for _, h := range hs {
		if h != nil {
			libtch.AtFree(h)
		}
	}
}

// New runs a libtch call that writes a new tensor and hands the result to a gotch Tensor,
// which the caller drops.
func New(call func(out *libtch.Ctensor)) (*ts.Tensor, error) {
	h, err := NewHandle(call)
	if err != nil {
		return nil, err
	}
	return ts.New(h), nil
}

// Numel is t's number of elements. gotch's Numel exits the process if libtorch reports an
// error.
func Numel(t *ts.Tensor) (int64, error) {
	shape, err := t.Size()
	if err != nil {
		return 0, fmt.Errorf("tensor size: %w", Err(err))
	}
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n, nil
}
