package model

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
)

// fixture is the committed tiny model written by testdata/gen_reference.py --seed 1.
var fixture = filepath.Join("testdata", "tiny")

// lock pins the test goroutine to its OS thread: libtorch's grad mode is per thread.
func lock(t *testing.T) {
	t.Helper()
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
}

// floats returns t's elements as float32 (converting the dtype if needed).
func floats(t *testing.T, x *ts.Tensor) []float32 {
	t.Helper()
	f, err := x.Totype(gotch.Float, false)
	if err != nil {
		t.Fatalf("to float: %v", err)
	}
	defer dropAll(f)
	raw, err := tensorBytes(f)
	if err != nil {
		t.Fatalf("bytes: %v", err)
	}
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

func ints(t *testing.T, x *ts.Tensor) []int64 {
	t.Helper()
	raw, err := tensorBytes(x)
	if err != nil || x.DType() != gotch.Int64 {
		t.Fatalf("int64 values: dtype %v, err %v", x.DType(), err)
	}
	out := make([]int64, len(raw)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return out
}

func shape(t *testing.T, x *ts.Tensor) []int64 {
	t.Helper()
	s, err := x.Size()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// maxDiff is the largest |a−b|, a and b having the same shape. For 3-D (B, T, H) tensors only
// the (row, pos) pairs where keep holds count; keep == nil counts all.
func maxDiff(t *testing.T, a, b *ts.Tensor, keep func(row, pos int) bool) float64 {
	t.Helper()
	sa, sb := shape(t, a), shape(t, b)
	if !sameShape(sa, sb) {
		t.Fatalf("shapes differ: %v vs %v", sa, sb)
	}
	va, vb := floats(t, a), floats(t, b)
	inner, perRow := len(va), len(va)
	if len(sa) == 3 {
		inner, perRow = int(sa[2]), int(sa[1]*sa[2])
	}
	worst := 0.0
	for i := range va {
		if keep != nil && len(sa) == 3 && !keep(i/perRow, (i%perRow)/inner) {
			continue
		}
		d := math.Abs(float64(va[i]) - float64(vb[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		worst = math.Max(worst, d)
	}
	return worst
}

// realTokens keeps the positions whose mask is 1.
func realTokens(t *testing.T, mask *ts.Tensor) func(row, pos int) bool {
	m := ints(t, mask)
	width := int(shape(t, mask)[1])
	return func(row, pos int) bool { return m[row*width+pos] == 1 }
}

// readRef reads a reference file and drops its tensors at the end of the test.
func readRef(t *testing.T, path string) map[string]*ts.Tensor {
	t.Helper()
	ref, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropMap(ref) })
	return ref
}

// loadModel opens an HF directory and builds and loads an encoder on the CPU.
func loadModel(t *testing.T, dir string) (*Encoder, *nn.VarStore, *LoadReport) {
	t.Helper()
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	vs := nn.NewVarStore(gotch.CPU)
	enc, err := NewEncoder(vs.Root().Sub("bert"), d.Config)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := LoadWeights(d, vs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vs.Destroy)
	return enc, vs, rep
}

// batchFrom builds a Batch from the reference tensors tag.input_ids etc.
func batchFrom(ref map[string]*ts.Tensor, tag string) Batch {
	return Batch{InputIDs: ref[tag+".input_ids"], TypeIDs: ref[tag+".token_type_ids"], Mask: ref[tag+".attention_mask"]}
}

// forwardEval runs an eval-mode forward without autograd and drops the outputs after the test.
func forwardEval(t *testing.T, enc *Encoder, b Batch) Output {
	t.Helper()
	var out Output
	err := noGrad(func() error {
		var err error
		out, err = enc.Forward(b, false)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropAll(out.Hidden, out.Pooled) })
	return out
}
