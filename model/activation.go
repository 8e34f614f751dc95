package model

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sugarme/gotch/ts"
)

// activations maps transformers' ACT2FN names to libtorch ops. Each returns a new tensor and
// leaves its input alone.
var activations = map[string]func(*ts.Tensor) (*ts.Tensor, error){
	// transformers' "gelu" is the exact erf form; the tanh forms differ by up to ~1e-3.
	"gelu":              func(x *ts.Tensor) (*ts.Tensor, error) { return x.Gelu("none", false) },
	"gelu_new":          func(x *ts.Tensor) (*ts.Tensor, error) { return x.Gelu("tanh", false) },
	"gelu_fast":         func(x *ts.Tensor) (*ts.Tensor, error) { return x.Gelu("tanh", false) },
	"gelu_pytorch_tanh": func(x *ts.Tensor) (*ts.Tensor, error) { return x.Gelu("tanh", false) },
	"relu":              func(x *ts.Tensor) (*ts.Tensor, error) { return x.Relu(false) },
	"silu":              func(x *ts.Tensor) (*ts.Tensor, error) { return x.Silu(false) },
	"swish":             func(x *ts.Tensor) (*ts.Tensor, error) { return x.Silu(false) },
	"tanh":              func(x *ts.Tensor) (*ts.Tensor, error) { return x.Tanh(false) },
	"sigmoid":           func(x *ts.Tensor) (*ts.Tensor, error) { return x.Sigmoid(false) },
	"quick_gelu":        quickGelu,
}

// quickGelu is x·sigmoid(1.702·x).
func quickGelu(x *ts.Tensor) (*ts.Tensor, error) {
	scaled, err := x.MulScalar(ts.FloatScalar(1.702), false)
	if err != nil {
		return nil, err
	}
	gate, err := scaled.Sigmoid(true)
	if err != nil {
		return nil, err
	}
	return gate.Mul(x, true) // drops gate, keeps x
}

func activation(name string) (func(*ts.Tensor) (*ts.Tensor, error), error) {
	f, ok := activations[name]
	if !ok {
		names := make([]string, 0, len(activations))
		for n := range activations {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("unknown activation %q (have %s)", name, strings.Join(names, ", "))
	}
	return func(x *ts.Tensor) (*ts.Tensor, error) {
		y, err := f(x)
		if err != nil {
			return nil, fmt.Errorf("activation %s: %w", name, torchErr(err))
		}
		return y, nil
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
