//go:build cgo

package model

import (
	"fmt"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// init kinds for newVar.
type initKind int

const (
	initNormal initKind = iota // N(0, std), as transformers' _init_weights for Linear/Embedding
	initZeros                  // biases, LayerNorm beta
	initOnes                   // LayerNorm gamma
)

// fullName is the VarStore name a variable called name gets under p.
func fullName(p *nn.Path, name string) string {
	return strings.Join(append(append([]string{}, p.Paths()...), name), nn.SEP)
}

// newVar adds a trainable variable of the given shape under p, in gotch's default dtype on p's
// device. It refuses to shadow an existing variable: gotch would silently rename the new one
// ("name__N"), and the checkpoint would then never reach it.
func newVar(p *nn.Path, name string, dims []int64, kind initKind, std float64) (*ts.Tensor, error) {
	full := fullName(p, name)
	if _, err := p.Get(full); err == nil {
		return nil, fmt.Errorf("variable %s already exists", full)
	}
	dtype, dev := gotch.DefaultDType, p.Device()
	var (
		init *ts.Tensor
		err  error
	)
	switch kind {
	case initNormal:
		// Out-of-place ops only: gotch's in-place Normal_ leaks a handle to the storage.
		var r *ts.Tensor
		if r, err = ts.Randn(dims, dtype, dev); err == nil {
			init, err = tsx.Scaled(r, std)
			tsx.Drop(r)
		}
	case initZeros:
		init, err = ts.Zeros(dims, dtype, dev)
	case initOnes:
		init, err = ts.Ones(dims, dtype, dev)
	}
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", full, torchErr(err))
	}
	defer tsx.Drop(init)
	v, err := p.Add(name, init, true)
	if err != nil {
		return nil, fmt.Errorf("add %s: %w", full, torchErr(err))
	}
	return v, nil
}

// linear is y = x·Wᵀ + b with HF's layout: W (out, in), b (out).
type linear struct{ w, b *ts.Tensor }

func newLinear(p *nn.Path, in, out int64, std float64) (linear, error) {
	w, err := newVar(p, "weight", []int64{out, in}, initNormal, std)
	if err != nil {
		return linear{}, err
	}
	b, err := newVar(p, "bias", []int64{out}, initZeros, 0)
	if err != nil {
		return linear{}, err
	}
	return linear{w, b}, nil
}

// forward maps (…, in) to (…, out).
func (l linear) forward(x *ts.Tensor) (*ts.Tensor, error) {
	y, err := ts.Linear(x, l.w, l.b)
	return y, torchErr(err)
}

// layerNorm normalises over the last dimension (size n) with HF's weight/bias names.
type layerNorm struct {
	w, b  *ts.Tensor
	shape []int64
	eps   float64
}

func newLayerNorm(p *nn.Path, n int64, eps float64) (layerNorm, error) {
	w, err := newVar(p, "weight", []int64{n}, initOnes, 0)
	if err != nil {
		return layerNorm{}, err
	}
	b, err := newVar(p, "bias", []int64{n}, initZeros, 0)
	if err != nil {
		return layerNorm{}, err
	}
	return layerNorm{w: w, b: b, shape: []int64{n}, eps: eps}, nil
}
