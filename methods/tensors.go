//go:build cgo

package methods

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

// torchErr cuts a gotch error down to libtorch's message (shared with the other packages).
var torchErr = tsx.Err

// truncNormal samples N(0, std²) truncated to [−2·std, 2·std], the TruncatedNormal of Keras
// and torch.nn.init.trunc_normal_ with its default bounds. libtorch 1.13 has no such op, so
// it is sampled by inverting the CDF: u ~ U(Φ(−2), Φ(2)), x = std·√2·erfinv(2u − 1). Only
// out-of-place ops are used (gotch's in-place random fills leak a handle).
func truncNormal(dims []int64, std float64, dtype gotch.DType, dev gotch.Device) (*ts.Tensor, error) {
	// 2Φ(±2) − 1 = ±erf(√2): the range of 2u − 1.
	hi := math.Erf(math.Sqrt2)
	var s tsx.Scope
	defer s.Drop()
	u, err := s.Track(ts.Rand(dims, dtype, dev)) // [0, 1)
	if err != nil {
		return nil, err
	}
	z, err := s.Track(tsx.Scaled(u, 2*hi)) // [−hi, hi)
	if err != nil {
		return nil, err
	}
	if z, err = s.Track(tsx.Shifted(z, -hi)); err != nil {
		return nil, err
	}
	if z, err = s.Track(z.Erfinv(false)); err != nil {
		return nil, err
	}
	if z, err = s.Track(tsx.Scaled(z, std*math.Sqrt2)); err != nil {
		return nil, err
	}
	// Rounding in erfinv near the ends could step a hair past the bound; clamp to keep the
	// documented support exact.
	return tsx.Clamped(z, -2*std, 2*std)
}

// add creates a trainable variable p.sub….name of the given shape in gotch's default dtype:
// truncated normal with this std, or zeros when std is 0.
func (ps *paramSet) add(p *nn.Path, sub []string, name string, dims []int64, std float64) (*ts.Tensor, error) {
	return ps.addInit(p, sub, name, dims, func(dims []int64, dev gotch.Device) (*ts.Tensor, error) {
		if std > 0 {
			return truncNormal(dims, std, gotch.DefaultDType, dev)
		}
		x, err := ts.Zeros(dims, gotch.DefaultDType, dev)
		return x, torchErr(err)
	})
}

// addInit is add with the initial values made by init. The path is derived from p at the
// moment of use: gotch's Path.Sub appends to the parent's slice, so sibling paths held at the
// same time can share a backing array and name the same variable. addInit refuses to shadow an
// existing variable, which gotch would otherwise rename silently ("name__N").
func (ps *paramSet) addInit(p *nn.Path, sub []string, name string, dims []int64, init func([]int64, gotch.Device) (*ts.Tensor, error)) (*ts.Tensor, error) {
	for _, s := range sub {
		p = p.Sub(s)
	}
	full := strings.Join(append(append([]string{}, p.Paths()...), name), nn.SEP)
	if _, err := p.Get(full); err == nil {
		return nil, fmt.Errorf("variable %s already exists", full)
	}
	x, err := init(dims, p.Device())
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", full, err)
	}
	defer tsx.Drop(x)
	v, err := p.Add(name, x, true)
	if err != nil {
		return nil, fmt.Errorf("add %s: %w", full, torchErr(err))
	}
	if ps.names == nil {
		ps.names = map[string]bool{}
	}
	ps.names[full] = true
	return v, nil
}

// truncNormalDefault is truncNormal in gotch's default dtype.
func truncNormalDefault(dims []int64, std float64, dev gotch.Device) (*ts.Tensor, error) {
	return truncNormal(dims, std, gotch.DefaultDType, dev)
}

// uniformInit is U(−bound, bound), e.g. torch's kaiming_uniform_(a=√5) with bound 1/√fan_in,
// the default init of nn.Linear weights that PEFT keeps for LoRA's A.
func uniformInit(bound float64) func([]int64, gotch.Device) (*ts.Tensor, error) {
	return func(dims []int64, dev gotch.Device) (*ts.Tensor, error) {
		u, err := ts.Rand(dims, gotch.DefaultDType, dev)
		if err != nil {
			return nil, torchErr(err)
		}
		defer tsx.Drop(u)
		z, err := tsx.Scaled(u, 2*bound)
		if err != nil {
			return nil, err
		}
		defer tsx.Drop(z)
		return tsx.Shifted(z, -bound)
	}
}

// constInit fills with c (IA3's ones).
func constInit(c float64) func([]int64, gotch.Device) (*ts.Tensor, error) {
	return func(dims []int64, dev gotch.Device) (*ts.Tensor, error) {
		if c == 0 {
			z, err := ts.Zeros(dims, gotch.DefaultDType, dev)
			return z, torchErr(err)
		}
		o, err := ts.Ones(dims, gotch.DefaultDType, dev)
		if err != nil || c == 1 {
			return o, torchErr(err)
		}
		defer tsx.Drop(o)
		return tsx.Scaled(o, c)
	}
}

// normalInit is N(0, std²), untruncated (nn.Embedding's default init with std 1, which PEFT
// keeps for a randomly initialised soft prompt).
func normalInit(std float64) func([]int64, gotch.Device) (*ts.Tensor, error) {
	return func(dims []int64, dev gotch.Device) (*ts.Tensor, error) {
		r, err := ts.Randn(dims, gotch.DefaultDType, dev)
		if err != nil || std == 1 {
			return r, torchErr(err)
		}
		defer tsx.Drop(r)
		return tsx.Scaled(r, std)
	}
}

// readyToAttach makes the checks every Attach starts with: there is an encoder, the method is
// not attached already, and its path is outside the encoder's namespace. Errors name the method.
func readyToAttach(name string, p *nn.Path, enc *model.Encoder, attached bool) error {
	switch {
	case enc == nil:
		return fmt.Errorf("%s: no encoder", name)
	case attached:
		return fmt.Errorf("%s: already attached", name)
	}
	if err := checkPath(p); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// checkPath rejects a method path inside the encoder's namespace or at the root, where the
// method's variables would be mistaken for (or collide with) checkpoint weights.
func checkPath(p *nn.Path) error {
	paths := p.Paths()
	if len(paths) == 0 {
		return errors.New("method path is the VarStore root; want a sub-path such as vs.Root().Sub(name)")
	}
	if model.IsNamespace(paths[0]) {
		return fmt.Errorf("method path %q is inside the encoder's namespace", strings.Join(paths, nn.SEP))
	}
	return nil
}
