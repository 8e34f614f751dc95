//go:build cgo

package model

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// Reduced precision for a frozen backbone. With SetFrozenBF16(true), the matrix products whose
// weights do not train (the frozen backbone's linear layers under P-tuning v2 or FL-tuning) and
// the attention products run in bfloat16, on bf16 copies of the frozen weights made once, with
// their inputs cast down and their outputs cast back to float32. Everything else — the residual
// stream, LayerNorm, softmax, GELU, dropout, the trainable parameters, gradients reaching them
// and the optimiser — stays float32, as CPU autocast would arrange it. On CPUs with AVX512-BF16
// libtorch's bf16 matrix products run about twice as fast as float32 ones; LayerNorm in bf16 is
// ten times slower in libtorch 1.13, which is why it stays float32. Off by default: results
// differ from float32 by bf16 rounding (8 bits of mantissa).

// SetFrozenBF16 switches the reduced-precision mode on or off. Switch it on after the weights
// are loaded and the trainable variables are marked: the bf16 copies are taken at the next
// Forward and not refreshed. Switching it off frees them.
func (e *Encoder) SetFrozenBF16(on bool) {
	e.bf16 = on
	for w, h := range e.bf16Copies {
		tsx.FreeHandles(h)
		delete(e.bf16Copies, w)
	}
}

// FrozenBF16 reports whether the reduced-precision mode is on.
func (e *Encoder) FrozenBF16() bool { return e.bf16 }

// lowCopy returns a bf16 copy of a frozen weight, made on first use, or nil when w trains
// (its products stay float32 so that its gradient is exact).
func (e *Encoder) lowCopy(w *ts.Tensor) (raw, error) {
	if h, ok := e.bf16Copies[w]; ok {
		return h, nil
	}
	if libtch.AtRequiresGrad(handle(w)) {
		return nil, nil
	}
	var s hscope
	h, err := s.cast(handle(w), gotch.BFloat16)
	if err != nil {
		return nil, fmt.Errorf("bf16 copy: %w", err)
	}
	if e.bf16Copies == nil {
		e.bf16Copies = map[*ts.Tensor]raw{}
	}
	e.bf16Copies[w] = s.keep(h)
	return h, nil
}

// cast converts x to dtype; the conversion is differentiable.
func (s *hscope) cast(x raw, dtype gotch.DType) (raw, error) {
	return s.op(func(out *libtch.Ctensor) { libtch.AtgToDtype(out, x, dtype.CInt(), 0, 0) })
}

// linear is l applied to x (tracked by s): in bf16 when the mode is on and l is frozen.
func (e *Encoder) linear(s *hscope, l linear, x raw) (raw, error) {
	if !e.bf16 {
		return s.linear(l, x)
	}
	w, err := e.lowCopy(l.w)
	if err != nil || w == nil {
		if err != nil {
			return nil, err
		}
		return s.linear(l, x)
	}
	b, err := e.lowCopy(l.b)
	if err != nil || b == nil {
		if err != nil {
			return nil, err
		}
		return s.linear(l, x)
	}
	var t hscope
	defer t.free()
	x16, err := t.cast(x, gotch.BFloat16)
	if err != nil {
		return nil, err
	}
	y16, err := t.op(func(out *libtch.Ctensor) { libtch.AtgLinear(out, x16, w, b) })
	if err != nil {
		return nil, err
	}
	return s.cast(y16, e.word.DType())
}

// matmul is x·y (tracked by s), in bf16 when the mode is on.
func (e *Encoder) matmul(s *hscope, x, y raw) (raw, error) {
	if !e.bf16 {
		return s.matmul(x, y)
	}
	var t hscope
	defer t.free()
	x16, err := t.cast(x, gotch.BFloat16)
	if err != nil {
		return nil, err
	}
	y16, err := t.cast(y, gotch.BFloat16)
	if err != nil {
		return nil, err
	}
	p, err := t.matmul(x16, y16)
	if err != nil {
		return nil, err
	}
	return s.cast(p, e.word.DType())
}
