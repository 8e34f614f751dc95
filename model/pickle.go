//go:build cgo

package model

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/half"
	"github.com/sugarme/gotch/pickle"
	"github.com/sugarme/gotch/ts"
)

// ReadTorchStateDict reads a flat state dict saved with torch.save (zip or legacy format) onto
// the CPU. gotch's unpickler decodes the pickle, but the containers (torchfile.go) and tensors
// are built here: gotch's Decode exits the process on malformed strides and panics on some
// inputs, and a corrupt checkpoint must give an error naming the file instead.
func ReadTorchStateDict(path string) (out map[string]*ts.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			dropMap(out)
			out, err = nil, fmt.Errorf("read %s: corrupt PyTorch checkpoint (the pickle reader failed: %v)", path, r)
		}
	}()
	obj, err := loadTorchFile(path)
	if (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && !strings.Contains(err.Error(), "truncated") {
		return nil, fmt.Errorf("read %s: file ends early (truncated?): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	entries, err := stateEntries(obj)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	out = make(map[string]*ts.Tensor, len(entries))
	for name, v := range entries {
		st, ok := v.(*pickle.StorageTensor)
		if !ok {
			dropMap(out)
			hint := ""
			if _, nested := stateEntries(v); nested == nil {
				hint = " (a training checkpoint? save the model's state_dict() alone)"
			}
			return nil, fmt.Errorf("read %s: entry %q is %s, not a tensor%s", path, name, pickleKind(v), hint)
		}
		t, err := storageTensor(st)
		if err != nil {
			dropMap(out)
			return nil, fmt.Errorf("read %s: tensor %q: %w", path, name, err)
		}
		out[name] = t
	}
	return out, nil
}

// storageTensor materialises a pickled tensor view: a flat storage plus size, stride and offset.
// The view's extent is checked against the storage before as_strided touches memory.
func storageTensor(st *pickle.StorageTensor) (*ts.Tensor, error) {
	if st.Source == nil {
		return nil, fmt.Errorf("no storage")
	}
	raw, dtype, n, err := storageBytes(st.Source.GetData())
	if err != nil {
		return nil, err
	}
	if len(st.Size) != len(st.Stride) {
		return nil, fmt.Errorf("size %v and stride %v differ in rank", st.Size, st.Stride)
	}
	numel, last := int64(1), st.StorageOffset
	for i, d := range st.Size {
		if d < 0 || st.Stride[i] < 0 {
			return nil, fmt.Errorf("bad size %v or stride %v", st.Size, st.Stride)
		}
		numel *= d
		if d > 0 {
			last += (d - 1) * st.Stride[i]
		}
	}
	if numel == 0 {
		t, err := ts.Zeros(st.Size, dtype, gotch.CPU)
		return t, torchErr(err)
	}
	if st.StorageOffset < 0 || last >= n {
		return nil, fmt.Errorf("view (offset %d, size %v, stride %v) exceeds its %d-element storage",
			st.StorageOffset, st.Size, st.Stride, n)
	}
	flat, err := tensorFromBytes(raw, []int64{n}, dtype)
	if err != nil {
		return nil, err
	}
	if len(st.Size) == 0 {
		// A 0-dim tensor; gotch's AsStrided cannot take an empty size.
		t, err := flat.Select(0, st.StorageOffset, true)
		return t, torchErr(err)
	}
	view, err := flat.AsStrided(st.Size, st.Stride, []int64{st.StorageOffset}, true)
	if err != nil {
		return nil, torchErr(err)
	}
	out, err := view.Contiguous(true)
	return out, torchErr(err)
}

// storageBytes exposes a decoded storage's elements as host-order bytes without copying.
func storageBytes(data any) ([]byte, gotch.DType, int64, error) {
	switch d := data.(type) {
	case []float32:
		return asBytes(d), gotch.Float, int64(len(d)), nil
	case []float64:
		return asBytes(d), gotch.Double, int64(len(d)), nil
	case []half.Float16:
		return asBytes(d), gotch.Half, int64(len(d)), nil
	case []half.BFloat16:
		return asBytes(d), gotch.BFloat16, int64(len(d)), nil
	case []int64:
		return asBytes(d), gotch.Int64, int64(len(d)), nil
	case []int32:
		return asBytes(d), gotch.Int, int64(len(d)), nil
	case []int16:
		return asBytes(d), gotch.Int16, int64(len(d)), nil
	case []int8:
		return asBytes(d), gotch.Int8, int64(len(d)), nil
	case []uint8:
		return d, gotch.Uint8, int64(len(d)), nil
	case []bool:
		return asBytes(d), gotch.Bool, int64(len(d)), nil
	default:
		return nil, 0, 0, fmt.Errorf("unsupported storage type %T", data)
	}
}

func asBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(zero)))
}
