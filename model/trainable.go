//go:build cgo

package model

import (
	"fmt"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
)

// SetTrainable sets requires_grad on every variable of vs to keep(name) and returns the sorted
// names of the trainable and the frozen ones. Call it before the first backward pass: a gradient
// already accumulated on a variable stays attached, and optimizers step variables that have one.
// gotch optimizers take all of a VarStore's variables but skip those without a gradient, so frozen
// variables stay bit-identical.
func SetTrainable(vs *nn.VarStore, keep func(name string) bool) (trainable, frozen []string, err error) {
	vars := vs.Variables()
	for _, name := range sortedKeys(vars) {
		t := vars[name]
		on := keep(name)
		if on && !gotch.IsFloatDType(t.DType()) {
			return nil, nil, fmt.Errorf("set trainable: %s has dtype %v, which cannot require grad", name, t.DType())
		}
		if err := setRequiresGrad(&t, on); err != nil {
			return nil, nil, fmt.Errorf("set trainable: %s: %w", name, err)
		}
		if on {
			trainable = append(trainable, name)
		} else {
			frozen = append(frozen, name)
		}
	}
	return trainable, frozen, nil
}

// trainableVars returns vs's variables that require grad, by name. The tensors belong to vs.
func trainableVars(vs *nn.VarStore) (map[string]*ts.Tensor, error) {
	out := map[string]*ts.Tensor{}
	for name, v := range vs.Variables() {
		on, err := v.RequiresGrad()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, torchErr(err))
		}
		if on {
			t := v
			out[name] = &t
		}
	}
	return out, nil
}

// SaveTrainable writes every variable that requires grad (the tuned parameters: a few MB for
// prefix or FL tuning) to a safetensors file, atomically.
func SaveTrainable(path string, vs *nn.VarStore) error {
	vars, err := trainableVars(vs)
	if err != nil {
		return fmt.Errorf("save trainable %s: %w", path, err)
	}
	if len(vars) == 0 {
		return fmt.Errorf("save trainable %s: no variable requires grad", path)
	}
	if err := WriteSafetensors(path, vars); err != nil {
		return fmt.Errorf("save trainable: %w", err)
	}
	return nil
}

// LoadTrainable copies a SaveTrainable file into vs by name. Every tensor in the file must match
// a variable of the same shape (all mismatches are reported in one error, and then nothing is
// copied); variables absent from the file are left alone.
func LoadTrainable(path string, vs *nn.VarStore) error {
	file, err := ReadSafetensors(path)
	if err != nil {
		return fmt.Errorf("load trainable: %w", err)
	}
	defer dropMap(file)
	vars := vs.Variables()
	var problems []string
	for _, name := range sortedKeys(file) {
		v, ok := vars[name]
		if !ok {
			problems = append(problems, "unknown variable "+name)
			continue
		}
		want, err := v.Size()
		if err != nil {
			return fmt.Errorf("load trainable %s: %s: %w", path, name, torchErr(err))
		}
		got, err := file[name].Size()
		if err != nil {
			return fmt.Errorf("load trainable %s: %s: %w", path, name, torchErr(err))
		}
		if !sameShape(got, want) {
			problems = append(problems, fmt.Sprintf("wrong shape %s: file %v, model %v", name, got, want))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("load trainable %s: file does not fit the model (%d problems):\n  %s",
			path, len(problems), strings.Join(problems, "\n  "))
	}
	for _, name := range sortedKeys(file) {
		v := vars[name]
		if err := copyInto(&v, file[name]); err != nil {
			return fmt.Errorf("load trainable %s: copy %s: %w", path, name, err)
		}
	}
	return nil
}
