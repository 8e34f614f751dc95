//go:build cgo

package model

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/fused"
	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
)

// The forward pass runs on libtorch's C handles rather than on gotch's Tensor methods. Each
// gotch result wrapper allocates 100 KB on the Go heap (so that the collector runs finalizers
// often) and takes a global lock, and each generated method of gotch as published leaks the
// malloc(0) block its result is written into (the copy gotchprep prepares frees it): measured
// then, about 50 µs and 85 bytes of never-freed C heap per operation, against 2.4 µs on a
// handle. A BERT step makes some 30 operations per layer, so
// the wrappers cost the built-in backbone several percent of a step and made a long run's RSS
// climb steadily. Handles are created only here, freed by the hscope that made them, and
// wrapped into *ts.Tensor only where they cross the package's API (Output and the tuning
// hooks, hooks.go).

// raw is a libtorch tensor handle.
type raw = libtch.Ctensor

// hscope owns the handles made during one function and frees them on return, whichever path
// it leaves by; kept handles are handed to the caller instead. It is tsx.Scope's counterpart
// for bare handles: tsx.Scope holds gotch Tensors, whose wrappers are the cost this file
// avoids, and the encoder's ops below are methods on it.
type hscope struct{ held []raw }

// op runs a libtch call that writes a new tensor handle, checks libtorch's error and tracks
// the result.
func (s *hscope) op(call func(out *libtch.Ctensor)) (raw, error) {
	out, err := tsx.NewHandle(call)
	if err != nil {
		return nil, err
	}
	s.held = append(s.held, out)
	return out, nil
}

// scalarOp is op for a libtch call that takes a float scalar holding x.
func (s *hscope) scalarOp(x float64, call func(out *libtch.Ctensor, c libtch.Cscalar)) (h raw, err error) {
	err = tsx.WithScalar(x, func(c libtch.Cscalar) error {
		h, err = s.op(func(out *libtch.Ctensor) { call(out, c) })
		return err
	})
	return h, err
}

// keep stops tracking h, which the caller now owns.
func (s *hscope) keep(h raw) raw {
	for i, x := range s.held {
		if x == h {
			s.held[i] = nil
		}
	}
	return h
}

// free releases every tracked handle.
func (s *hscope) free() {
	tsx.FreeHandles(s.held...)
	s.held = nil
}

// wrap hands a handle over to a gotch Tensor, which then owns (and drops) it.
func wrap(h raw) *ts.Tensor { return ts.New(h) }

// borrow wraps a second handle to h's tensor (same storage and autograd identity) for a hook
// that takes a *ts.Tensor; dropping the wrapper leaves h alone.
func borrow(h raw) (*ts.Tensor, error) {
	c := libtch.AtShallowClone(h)
	if err := ts.TorchErr(); err != nil {
		return nil, torchErr(err)
	}
	return ts.New(c), nil
}

// linear is y = x·Wᵀ + b on handles.
func (s *hscope) linear(l linear, x raw) (raw, error) {
	return s.op(func(out *libtch.Ctensor) { libtch.AtgLinear(out, x, handle(l.w), handle(l.b)) })
}

// layerNorm normalises x over its last dimension.
func (s *hscope) layerNorm(l layerNorm, x raw) (raw, error) {
	return s.op(func(out *libtch.Ctensor) {
		libtch.AtgLayerNorm(out, x, l.shape, len(l.shape), handle(l.w), handle(l.b), l.eps, 1)
	})
}

// dropout applies inverted dropout in training: x·(u ≥ p)/(1 − p) with u uniform per element,
// the distribution of torch's dropout. In eval mode, or with p = 0, it returns x itself, so
// eval outputs are bit-identical to a model without dropout (and nothing new is tracked).
//
// libtorch 1.13 without MKL draws a dropout mask serially, from a Mersenne Twister behind a
// lock, while the other cores wait: at BERT-base shapes (8 × 128 tokens) the masks of one
// fine-tuning step are 38 M draws, about 150 ms of a 3.3 s step, plus two passes to threshold
// and scale them. On the CPU in float32 the mask is therefore filled in one parallel pass by
// package fused, from a seed drawn from libtorch's generator (so manual_seed still fixes
// every mask); elsewhere it is libtorch's uniform draws, thresholded and scaled in place.
func (s *hscope) dropout(x raw, p float64, train bool) (raw, error) {
	if !train || p == 0 {
		return x, nil
	}
	var t hscope
	defer t.free()
	mask, err := t.fusedMask(x, p)
	if err == nil && mask == nil {
		mask, err = t.eagerMask(x, p)
	}
	if err != nil {
		return nil, err
	}
	return s.op(func(out *libtch.Ctensor) { libtch.AtgMul(out, x, mask) })
}

// Dropout is the encoder's training-mode dropout for the tensors that tuning methods add outside
// the encoder (prefix keys and values, branch inputs): their masks are drawn the same parallel
// way (see dropout). The result is a new tensor the caller drops; with p = 0 it shares x's
// storage.
func Dropout(x *ts.Tensor, p float64) (*ts.Tensor, error) {
	if x == nil {
		return nil, fmt.Errorf("dropout of a nil tensor")
	}
	if p == 0 {
		return borrow(handle(x))
	}
	var s hscope
	defer s.free()
	y, err := s.dropout(handle(x), p, true)
	if err != nil {
		return nil, fmt.Errorf("dropout: %w", err)
	}
	return wrap(s.keep(y)), nil
}

// fusedMask is x's dropout mask filled by package fused, or nil when x is not a float32 CPU
// tensor or p ≥ 1.
func (s *hscope) fusedMask(x raw, p float64) (raw, error) {
	if p >= 1 || !tsx.IsCPUFloat32(x) {
		return nil, nil
	}
	shape, err := shapeOf(x)
	if err != nil {
		return nil, err
	}
	seed, err := s.op(func(out *libtch.Ctensor) {
		libtch.AtgRandint(out, math.MaxInt64, []int64{1}, 1, gotch.Int64.CInt(), gotch.CPU.CInt())
	})
	if err != nil {
		return nil, err
	}
	zero := int64(0)
	v := libtch.AtInt64ValueAtIndexes(seed, unsafe.Pointer(&zero), 1)
	if err := ts.TorchErr(); err != nil {
		return nil, torchErr(err)
	}
	mask, err := s.op(func(out *libtch.Ctensor) {
		libtch.AtgEmpty(out, shape, len(shape), gotch.Float.CInt(), gotch.CPU.CInt())
	})
	if err != nil {
		return nil, err
	}
	data, ok := tsx.Float32Storage(mask)
	if !ok {
		return nil, fmt.Errorf("dropout mask of shape %v: not a contiguous float32 CPU tensor", shape)
	}
	if err := fused.DropoutMask(data, uint64(v), p, torchrt.NumThreads()); err != nil {
		return nil, err
	}
	return mask, nil
}

// eagerMask is x's dropout mask from libtorch's uniform draws: 1/(1 − p) where u ≥ p, else 0
// (all zeros for p ≥ 1, as torch drops everything). One float draw per element and two
// in-place passes are about twice as fast as torch's own dropout, which spends two 32-bit
// draws and double arithmetic per element.
func (s *hscope) eagerMask(x raw, p float64) (raw, error) {
	mask, err := s.op(func(out *libtch.Ctensor) { libtch.AtgRandLike(out, x) })
	if err != nil {
		return nil, err
	}
	err = tsx.WithScalar(p, func(c libtch.Cscalar) error {
		return inplace(func(out *libtch.Ctensor) { libtch.AtgGe_(out, mask, c) }) // 1 kept, 0 dropped
	})
	if err != nil {
		return nil, err
	}
	scale := 0.0
	if p < 1 {
		scale = 1 / (1 - p)
	}
	err = tsx.WithScalar(scale, func(c libtch.Cscalar) error {
		return inplace(func(out *libtch.Ctensor) { libtch.AtgMulScalar_(out, mask, c) })
	})
	if err != nil {
		return nil, err
	}
	return mask, nil
}

// view, reshape and permute take a dimension list.
func (s *hscope) view(x raw, shape []int64) (raw, error) {
	return s.op(func(out *libtch.Ctensor) { libtch.AtgView(out, x, shape, len(shape)) })
}

func (s *hscope) reshape(x raw, shape []int64) (raw, error) {
	return s.op(func(out *libtch.Ctensor) { libtch.AtgReshape(out, x, shape, len(shape)) })
}

func (s *hscope) permute(x raw, dims []int64) (raw, error) {
	return s.op(func(out *libtch.Ctensor) { libtch.AtgPermute(out, x, dims, len(dims)) })
}

func (s *hscope) add(x, y raw) (raw, error) {
	return s.op(func(out *libtch.Ctensor) { libtch.AtgAdd(out, x, y) })
}

func (s *hscope) matmul(x, y raw) (raw, error) {
	return s.op(func(out *libtch.Ctensor) { libtch.AtgMatmul(out, x, y) })
}

func (s *hscope) cat(xs []raw, dim int64) (raw, error) {
	return s.op(func(out *libtch.Ctensor) { libtch.AtgCat(out, xs, len(xs), dim) })
}

// embedding looks up ids (int64) in a (rows, H) table; padding -1 means none.
func (s *hscope) embedding(table *ts.Tensor, ids raw, padding int64) (raw, error) {
	return s.op(func(out *libtch.Ctensor) { libtch.AtgEmbedding(out, handle(table), ids, padding, 0, 0) })
}

// arange is the int64 vector from…to−1 on dev.
func (s *hscope) arange(from, to int64, dev gotch.Device) (raw, error) {
	a, b := libtch.AtsInt(from), libtch.AtsInt(to)
	defer func() { libtch.AtsFree(a); libtch.AtsFree(b) }()
	return s.op(func(out *libtch.Ctensor) {
		libtch.AtgArangeStart(out, a, b, gotch.Int64.CInt(), dev.CInt())
	})
}

// filled makes a tensor of the given shape and dtype filled with zeros or ones.
func (s *hscope) filled(one bool, shape []int64, dtype gotch.DType, dev gotch.Device) (raw, error) {
	return s.op(func(out *libtch.Ctensor) {
		if one {
			libtch.AtgOnes(out, shape, len(shape), dtype.CInt(), dev.CInt())
		} else {
			libtch.AtgZeros(out, shape, len(shape), dtype.CInt(), dev.CInt())
		}
	})
}

// shapeOf is a tensor's shape.
func shapeOf(h raw) ([]int64, error) {
	dim := libtch.AtDim(h)
	if err := ts.TorchErr(); err != nil {
		return nil, torchErr(err)
	}
	shape := make([]int64, dim)
	if dim > 0 {
		libtch.AtShape(h, unsafe.Pointer(&shape[0]))
		if err := ts.TorchErr(); err != nil {
			return nil, torchErr(err)
		}
	}
	return shape, nil
}
