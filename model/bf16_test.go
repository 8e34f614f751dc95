//go:build cgo

package model

import (
	"path/filepath"
	"testing"
)

// TestFrozenBF16 runs the fixture model with its weights frozen in float32 and in the
// reduced-precision mode: the outputs must agree to bf16 rounding without being identical,
// trainable weights must keep float32 products, and switching off must free the copies.
func TestFrozenBF16(t *testing.T) {
	lock(t)
	ref := readRef(t, filepath.Join(fixture, "reference.safetensors"))
	enc, vs, _ := loadModel(t, filepath.Join(fixture, "safetensors"))
	const trained = "bert.encoder.layer.0.intermediate.dense.weight"
	if _, _, err := SetTrainable(vs, func(name string) bool { return name == trained }); err != nil {
		t.Fatal(err)
	}
	b := batchFrom(ref, "pad")
	want := forwardEval(t, enc, b)
	enc.SetFrozenBF16(true)
	got := forwardEval(t, enc, b)
	d := maxDiff(t, got.Hidden, want.Hidden, realTokens(t, b.Mask))
	// Hidden states are LayerNorm outputs of order 1; bf16 keeps 8 bits of mantissa.
	if d == 0 || d > 0.1 {
		t.Errorf("bf16 hidden states differ from float32 by %g, want a small non-zero difference", d)
	}
	if _, ok := enc.bf16Copies[mustGet(t, vs, trained)]; ok {
		t.Errorf("the trainable %s got a bf16 copy", trained)
	}
	if _, ok := enc.bf16Copies[mustGet(t, vs, "bert.encoder.layer.0.output.dense.weight")]; !ok {
		t.Errorf("a frozen weight got no bf16 copy")
	}
	enc.SetFrozenBF16(false)
	if len(enc.bf16Copies) != 0 {
		t.Errorf("%d bf16 copies left after switching off", len(enc.bf16Copies))
	}
	again := forwardEval(t, enc, b)
	if d := maxDiff(t, again.Hidden, want.Hidden, nil); d != 0 {
		t.Errorf("float32 after switching bf16 off differs by %g", d)
	}
}
