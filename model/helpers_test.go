//go:build cgo

package model

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tensortest"
	"github.com/clue-bench/clue-bench/internal/tsx"
)

// Shared tensor helpers (internal/tensortest).
var (
	lock    = tensortest.Lock
	shape   = tensortest.Shape
	floats  = tensortest.Floats
	maxDiff = tensortest.MaxDiff
)

// fixture is the committed tiny model written by testdata/gen_reference.py --seed 1.
var fixture = filepath.Join("testdata", "tiny")

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

// openDir is OpenDir, failing the test on an error.
func openDir(t *testing.T, dir string) *Dir {
	t.Helper()
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// encoderFor builds an encoder for d's config on the CPU, in a VarStore freed after the test,
// without loading d's weights: the tests of checkpoints that must not load call LoadWeights
// themselves.
func encoderFor(t *testing.T, d *Dir) (*Encoder, *nn.VarStore) {
	t.Helper()
	vs := nn.NewVarStore(gotch.CPU)
	t.Cleanup(vs.Destroy)
	enc, err := NewEncoder(vs.Root().Sub(d.Config.Namespace()), d.Config)
	if err != nil {
		t.Fatal(err)
	}
	return enc, vs
}

// loadModel opens an HF directory and builds and loads an encoder on the CPU.
func loadModel(t *testing.T, dir string) (*Encoder, *nn.VarStore, *LoadReport) {
	t.Helper()
	d := openDir(t, dir)
	enc, vs := encoderFor(t, d)
	rep, err := LoadWeights(d, vs)
	if err != nil {
		t.Fatal(err)
	}
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
	t.Cleanup(func() { tsx.Drop(out.Hidden, out.Pooled) })
	return out
}
