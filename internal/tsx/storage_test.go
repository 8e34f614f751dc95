package tsx_test

import (
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tensortest"
	"github.com/clue-bench/clue-bench/internal/tsx"
)

func TestFloat32Storage(t *testing.T) {
	tensortest.Lock(t)
	x := vector(t, 1, 2, 3, 4, 5, 6)
	data, ok := tsx.Float32Storage(tsx.Handle(x))
	if !ok || len(data) != 6 || data[5] != 6 {
		t.Fatalf("contiguous float32: ok=%v data=%v", ok, data)
	}
	data[0] = 10 // the slice aliases the tensor
	if v, err := x.Float64Value([]int64{0}); err != nil || v != 10 {
		t.Fatalf("write through the slice: tensor[0] = %v", v)
	}
	m := x.MustView([]int64{2, 3}, false)
	defer tsx.Drop(m)
	tr := m.MustT(false) // a strided view
	defer tsx.Drop(tr)
	d := x.MustTotype(gotch.Double, false)
	defer tsx.Drop(d)
	for name, h := range map[string]*ts.Tensor{"transposed view": tr, "float64": d} {
		if _, ok := tsx.Float32Storage(tsx.Handle(h)); ok {
			t.Errorf("%s accepted", name)
		}
	}
	if _, ok := tsx.Float32Storage(nil); ok {
		t.Error("nil handle accepted")
	}
	if data, ok := tsx.Float32Storage(tsx.Handle(m)); !ok || len(data) != 6 {
		t.Errorf("contiguous 2×3 view: ok=%v len=%d", ok, len(data))
	}
}
