package optim

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/fused"
	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
)

// Param is one trainable tensor and whether weight decay applies to it (not to biases and
// LayerNorm parameters, following BERT's recipe).
type Param struct {
	Name   string
	Tensor *ts.Tensor
	Decay  bool
}

// AdamW implements torch.optim.AdamW's update rule exactly (same bias correction and epsilon
// placement), so results can be compared with PyTorch.
type AdamW struct {
	Beta1, Beta2, Eps, WeightDecay float64

	params []Param
	m, v   []handle // first and second moments, allocated lazily, one per param
	step   int64
	eager  bool // tests: take the eager path even where the fused one applies
}

// NewAdamW returns an optimiser over params. State is kept for these tensors only.
func NewAdamW(params []Param, weightDecay float64) *AdamW {
	return &AdamW{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay, params: params,
		m: make([]handle, len(params)), v: make([]handle, len(params))}
}

// Params returns the optimised parameters.
func (o *AdamW) Params() []Param { return o.params }

// StateTensors reports how many state tensors the optimiser holds (two per parameter once a
// step was taken): frozen parameters never get any.
func (o *AdamW) StateTensors() int {
	n := 0
	for i := range o.m {
		if o.m[i] != nil {
			n += 2
		}
	}
	return n
}

// Step applies one update with learning rate lr from the step's gradients g (scaled by
// g.Scale()). Parameters without a gradient (not reached by backward) are skipped, as PyTorch
// does.
func (o *AdamW) Step(lr float64, g *Grads) error {
	if g == nil || len(g.h) != len(o.params) {
		return fmt.Errorf("adamw step: gradients for %d parameters, want %d", gradCount(g), len(o.params))
	}
	o.step++
	bc1 := 1 - math.Pow(o.Beta1, float64(o.step))
	bc2 := 1 - math.Pow(o.Beta2, float64(o.step))
	return tsx.NoGrad(func() error {
		for i, p := range o.params {
			if g.h[i] == nil {
				continue
			}
			if err := o.update(i, p, g.h[i], g.scale, lr, bc1, bc2); err != nil {
				return fmt.Errorf("adamw step on %s: %w", p.Name, err)
			}
		}
		return nil
	})
}

func gradCount(g *Grads) int {
	if g == nil {
		return 0
	}
	return len(g.h)
}

// update is PyTorch's single-tensor AdamW step for parameter i with gradient g·scale. The
// last part is folded into fewer passes over the tensors (8 operations, 2 temporaries, against
// 10 and 3 written out), which rounds differently from PyTorch only in the last bits of the
// update.
func (o *AdamW) update(i int, p Param, g handle, scale, lr, bc1, bc2 float64) error {
	pt := tsx.Handle(p.Tensor)
	var err error
	if o.m[i] == nil {
		if o.m[i], err = newHandle(func(out *libtch.Ctensor) { libtch.AtgZerosLike(out, pt) }); err != nil {
			return err
		}
		if o.v[i], err = newHandle(func(out *libtch.Ctensor) { libtch.AtgZerosLike(out, pt) }); err != nil {
			return err
		}
	}
	m, v := o.m[i], o.v[i]
	if done, err := o.fusedUpdate(pt, g, m, v, p.Decay, scale, lr, bc1, bc2); done || err != nil {
		return err
	}
	if scale != 1 {
		// A scaled copy: a captured gradient may be shared (Grads.Backward).
		err := tsx.WithScalar(scale, func(s libtch.Cscalar) (err error) {
			g, err = newHandle(func(out *libtch.Ctensor) { libtch.AtgMulScalar(out, g, s) })
			return err
		})
		if err != nil {
			return err
		}
		defer free(g)
	}
	if p.Decay && o.WeightDecay != 0 {
		if err := mulScalar(pt, 1-lr*o.WeightDecay); err != nil {
			return err
		}
	}
	// m ← β1·m + (1-β1)·g ; v ← β2·v + (1-β2)·g²
	if err := lerp(m, g, 1-o.Beta1); err != nil {
		return err
	}
	g2, err := newHandle(func(out *libtch.Ctensor) { libtch.AtgSquare(out, g) })
	if err != nil {
		return err
	}
	err = lerp(v, g2, 1-o.Beta2)
	free(g2)
	if err != nil || lr == 0 {
		return err // with lr 0 only the moments move, as in PyTorch
	}
	// p ← p − lr/bc1 · m / (sqrt(v)/sqrt(bc2) + eps), as p + m/d with
	// d = −(sqrt(v)/sqrt(bc2) + eps)·bc1/lr, scaled in two in-place passes.
	d, err := newHandle(func(out *libtch.Ctensor) { libtch.AtgSqrt(out, v) })
	if err != nil {
		return err
	}
	defer free(d)
	if err := mulScalar(d, -bc1/(lr*math.Sqrt(bc2))); err != nil {
		return err
	}
	if err := addScalar(d, -o.Eps*bc1/lr); err != nil {
		return err
	}
	return inplace(func(out *libtch.Ctensor) { libtch.AtgAddcdiv_(out, pt, m, d) })
}

// fusedUpdate takes update's step in one parallel pass over contiguous float32 CPU tensors
// (package fused), with the scalars libtorch would use: each Python-float operand of an eager
// op on a float32 tensor is rounded to float32. done is false for anything else (CUDA, bf16,
// strided), which takes the eager path. On the BERT-base shapes the eager step is about
// 24 tensor-sized memory passes per parameter (clipping and zeroing included) and the fused
// one 7 (reading p, g, m, v, writing p, m, v; the clipping factor applied on the way), which
// made a fine-tuning step's optimiser part less than half as long.
func (o *AdamW) fusedUpdate(pt, g, m, v handle, decay bool, scale, lr, bc1, bc2 float64) (done bool, err error) {
	if o.eager {
		return false, nil
	}
	pd, ok1 := tsx.Float32Storage(pt)
	gd, ok2 := tsx.Float32Storage(g)
	md, ok3 := tsx.Float32Storage(m)
	vd, ok4 := tsx.Float32Storage(v)
	if !ok1 || !ok2 || !ok3 || !ok4 || len(gd) != len(pd) {
		return false, nil
	}
	s := fused.AdamWStep{Decay: 1, W1: float32(1 - o.Beta1), W2: float32(1 - o.Beta2), Update: lr != 0,
		GradScale: float32(scale)}
	if decay && o.WeightDecay != 0 {
		s.Decay = float32(1 - lr*o.WeightDecay)
	}
	if s.Update {
		s.C = float32(-bc1 / (lr * math.Sqrt(bc2)))
		s.E = float32(-o.Eps * bc1 / lr)
	}
	return true, fused.AdamW(pd, gd, md, vd, s, torchrt.NumThreads())
}

// Close frees the optimiser state.
func (o *AdamW) Close() {
	for i := range o.m {
		free(o.m[i], o.v[i])
		o.m[i], o.v[i] = nil, nil
	}
}
