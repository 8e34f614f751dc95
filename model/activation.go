//go:build cgo

package model

import (
	"fmt"

	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// activations maps transformers' ACT2FN names to libtorch ops on handles (the encoder calls
// them in every layer; see handles.go). Each makes a new tensor, tracked by s, and leaves its
// input alone. Its keys are activationNames (config.go), which Validate checks against.
var activations = map[string]func(s *hscope, x raw) (raw, error){
	// transformers' "gelu" is the exact erf form; the tanh forms differ by up to ~1e-3.
	"gelu":              geluOf("none"),
	"gelu_new":          geluOf("tanh"),
	"gelu_fast":         geluOf("tanh"),
	"gelu_pytorch_tanh": geluOf("tanh"),
	"relu":              unary(libtch.AtgRelu),
	"silu":              unary(libtch.AtgSilu),
	"swish":             unary(libtch.AtgSilu),
	"tanh":              unary(libtch.AtgTanh),
	"sigmoid":           unary(libtch.AtgSigmoid),
	"quick_gelu":        quickGelu,
}

func geluOf(approximate string) func(*hscope, raw) (raw, error) {
	return func(s *hscope, x raw) (raw, error) {
		return s.op(func(out *libtch.Ctensor) { atgGelu(out, x, approximate) })
	}
}

func unary(f func(out *libtch.Ctensor, self libtch.Ctensor)) func(*hscope, raw) (raw, error) {
	return func(s *hscope, x raw) (raw, error) {
		return s.op(func(out *libtch.Ctensor) { f(out, x) })
	}
}

// quickGelu is x·sigmoid(1.702·x).
func quickGelu(s *hscope, x raw) (raw, error) {
	scaled, err := s.scalarOp(1.702, func(out *libtch.Ctensor, c libtch.Cscalar) { libtch.AtgMulScalar(out, x, c) })
	if err != nil {
		return nil, err
	}
	gate, err := s.op(func(out *libtch.Ctensor) { libtch.AtgSigmoid(out, scaled) })
	if err != nil {
		return nil, err
	}
	return s.op(func(out *libtch.Ctensor) { libtch.AtgMul(out, gate, x) })
}

// rawActivation returns the named activation on handles, with the name in its errors.
func rawActivation(name string) (func(*hscope, raw) (raw, error), error) {
	if err := checkActivation(name); err != nil {
		return nil, err
	}
	f, ok := activations[name]
	if !ok {
		return nil, fmt.Errorf("activation %q is listed but has no implementation", name)
	}
	return func(s *hscope, x raw) (raw, error) {
		y, err := f(s, x)
		if err != nil {
			return nil, fmt.Errorf("activation %s: %w", name, err)
		}
		return y, nil
	}, nil
}

// activation is the named activation on gotch tensors, for callers outside the encoder.
func activation(name string) (func(*ts.Tensor) (*ts.Tensor, error), error) {
	f, err := rawActivation(name)
	if err != nil {
		return nil, err
	}
	return func(x *ts.Tensor) (*ts.Tensor, error) {
		var s hscope
		defer s.free()
		y, err := f(&s, handle(x))
		if err != nil {
			return nil, err
		}
		return wrap(s.keep(y)), nil
	}, nil
}

// CheckedActivation returns the named activation (transformers' names: "gelu", "gelu_new",
// "relu", "silu", …) in a form that reports libtorch errors. The result is a new tensor.
func CheckedActivation(name string) (func(*ts.Tensor) (*ts.Tensor, error), error) {
	return activation(name)
}

// Activation returns the named activation. The returned function cannot report errors: on a
// libtorch failure (possible only for undefined or non-floating inputs) it returns nil.
// Prefer CheckedActivation where inputs are not known to be valid.
func Activation(name string) (func(*ts.Tensor) *ts.Tensor, error) {
	f, err := activation(name)
	if err != nil {
		return nil, err
	}
	return func(x *ts.Tensor) *ts.Tensor {
		y, err := f(x)
		if err != nil {
			return nil
		}
		return y
	}, nil
}
