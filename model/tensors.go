//go:build cgo

package model

import (
	"fmt"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// The leak-free in-place calls, error shortening and no-grad switch live in package tsx; these
// short names keep this package's call sites readable.
var (
	torchErr = tsx.Err
	inplace  = tsx.Inplace
	handle   = tsx.Handle
	noGrad   = tsx.NoGrad
	copyInto = tsx.Copy
)

// setRequiresGrad flips requires_grad on t's storage without swapping t's handle.
func setRequiresGrad(t *ts.Tensor, on bool) error {
	flag := int32(0)
	if on {
		flag = 1
	}
	return inplace(func(out *libtch.Ctensor) { libtch.AtgRequiresGrad_(out, handle(t), flag) })
}

// tensorBytes returns t's elements as raw bytes in host order (row-major, contiguous), copying
// from any device. The bytes are safe to hold after t is dropped.
func tensorBytes(t *ts.Tensor) ([]byte, error) {
	shape, err := t.Size()
	if err != nil {
		return nil, torchErr(err)
	}
	numel := int64(1)
	for _, d := range shape {
		numel *= d
	}
	es := int64(t.DType().Size())
	buf := make([]byte, numel*es)
	if numel == 0 {
		return buf, nil
	}
	libtch.AtCopyData(handle(t), unsafe.Pointer(&buf[0]), uint(numel), uint(es))
	if err := ts.TorchErr(); err != nil {
		return nil, torchErr(err)
	}
	return buf, nil
}

// tensorFromBytes builds a CPU tensor of the given shape and dtype from raw host-order bytes.
func tensorFromBytes(raw []byte, shape []int64, dtype gotch.DType) (*ts.Tensor, error) {
	numel := int64(1)
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("negative dimension in shape %v", shape)
		}
		numel *= d
	}
	if want := numel * int64(dtype.Size()); int64(len(raw)) != want {
		return nil, fmt.Errorf("%d bytes for shape %v of %v, want %d", len(raw), shape, dtype, want)
	}
	if numel == 0 {
		// gotch's OfDataSize cannot take an empty buffer; an empty tensor needs no data anyway.
		t, err := ts.Zeros(shape, dtype, gotch.CPU)
		return t, torchErr(err)
	}
	if len(shape) == 0 {
		// gotch indexes shape slices (OfDataSize, Reshape), so build a 1-element vector and
		// select its element, which gives a 0-dim tensor.
		flat, err := ts.OfDataSize(raw, []int64{1}, dtype)
		if err != nil {
			return nil, torchErr(err)
		}
		t, err := flat.Select(0, 0, true)
		return t, torchErr(err)
	}
	t, err := ts.OfDataSize(raw, shape, dtype)
	return t, torchErr(err)
}

// sameShape reports whether two shapes are equal.
func sameShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// deviceTable makes a (rows, cols) tensor of gotch's default dtype on dev from float32 values.
func deviceTable(vals []float32, rows, cols int64, dev gotch.Device) (*ts.Tensor, error) {
	t, err := ts.OfSlice(vals)
	if err != nil {
		return nil, torchErr(err)
	}
	defer tsx.Drop(t)
	shaped, err := t.Reshape([]int64{rows, cols}, false)
	if err != nil {
		return nil, torchErr(err)
	}
	defer tsx.Drop(shaped)
	return onDevice(shaped, dev)
}

// onDevice copies t to dev in gotch's default dtype, the dtype of the model's variables.
func onDevice(t *ts.Tensor, dev gotch.Device) (*ts.Tensor, error) {
	typed, err := t.Totype(gotch.DefaultDType, false)
	if err != nil {
		return nil, torchErr(err)
	}
	defer tsx.Drop(typed)
	out, err := typed.To(dev, false)
	return out, torchErr(err)
}
