//go:build cgo

package model

import (
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

func TestNewEncoderInit(t *testing.T) {
	lock(t)
	_, vs := newTinyEncoder(t)
	word := floats(t, mustGet(t, vs, "bert.embeddings.word_embeddings.weight"))
	for _, v := range word[:32] { // row 0 is [PAD]
		if v != 0 {
			t.Fatal("padding row of the word embeddings is not zero")
		}
	}
	var sum, sq float64
	rest := word[32:]
	for _, v := range rest {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	mean := sum / float64(len(rest))
	std := math.Sqrt(sq/float64(len(rest)) - mean*mean)
	if math.Abs(std-0.02) > 0.002 || math.Abs(mean) > 0.002 {
		t.Errorf("word embeddings mean %.4f std %.4f, want ≈0 and ≈0.02", mean, std)
	}
	checks := map[string]float32{
		"bert.embeddings.LayerNorm.weight":                       1,
		"bert.encoder.layer.1.output.LayerNorm.bias":             0,
		"bert.encoder.layer.0.attention.self.query.bias":         0,
		"bert.pooler.dense.bias":                                 0,
		"bert.encoder.layer.1.attention.output.LayerNorm.weight": 1,
	}
	for name, want := range checks {
		for _, v := range floats(t, mustGet(t, vs, name)) {
			if v != want {
				t.Errorf("%s holds %v, want all %v", name, v, want)
				break
			}
		}
	}
}

func TestNewEncoderPath(t *testing.T) {
	lock(t)
	cfg := tinyConfig(t)
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	if _, err := NewEncoder(vs.Root(), cfg); err == nil || !strings.Contains(err.Error(), `Sub("bert")`) {
		t.Errorf("root path accepted: %v", err)
	}
	if _, err := NewEncoder(vs.Root().Sub("bert"), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := NewEncoder(vs.Root().Sub("bert"), cfg); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second encoder in the same store: %v", err)
	}
	bad := cfg
	bad.NumAttentionHeads = 5
	if _, err := NewEncoder(nn.NewVarStore(gotch.CPU).Root().Sub("bert"), bad); err == nil {
		t.Error("invalid config accepted")
	}
}

func tinyConfig(t *testing.T) Config {
	t.Helper()
	c, err := ReadConfig(filepath.Join(fixture, "bin", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestForwardBatchErrors(t *testing.T) {
	lock(t)
	enc, _ := newTinyEncoder(t)
	mk := func(dt gotch.DType, dims ...int64) *ts.Tensor {
		x, err := ts.Ones(dims, dt, gotch.CPU)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tsx.Drop(x) })
		return x
	}
	cases := []struct {
		name string
		b    Batch
		want string
	}{
		{"no ids", Batch{}, "no input ids"},
		{"1-D ids", Batch{InputIDs: mk(gotch.Int64, 5)}, "want non-empty (batch, seq)"},
		{"int32 ids", Batch{InputIDs: mk(gotch.Int, 2, 5)}, "dtype"},
		{"mask shape", Batch{InputIDs: mk(gotch.Int64, 2, 5), Mask: mk(gotch.Int64, 2, 4)}, "mask have shape [2 4]"},
		{"types shape", Batch{InputIDs: mk(gotch.Int64, 2, 5), TypeIDs: mk(gotch.Int64, 5, 2)}, "type ids have shape"},
		{"too long", Batch{InputIDs: mk(gotch.Int64, 1, 41)}, "max_position_embeddings 40"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := enc.Forward(c.b, false)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	// An id outside the vocabulary is a libtorch error, returned rather than fatal.
	ids, err := ts.Full([]int64{1, 3}, ts.IntScalar(1000), gotch.Int64, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(ids)
	if _, err := enc.Forward(Batch{InputIDs: ids}, false); err == nil {
		t.Error("out-of-vocabulary id accepted")
	}
}

// TestForwardDefaults: nil token types mean zeros and a nil mask means all ones, bit for bit.
func TestForwardDefaults(t *testing.T) {
	lock(t)
	ref := readRef(t, filepath.Join(fixture, "reference.safetensors"))
	enc, _, _ := loadModel(t, filepath.Join(fixture, "safetensors"))
	ids := ref["nopad.input_ids"]
	zeros, err := ids.ZerosLike(false)
	if err != nil {
		t.Fatal(err)
	}
	ones, err := ids.OnesLike(false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(zeros, ones)
	explicit := forwardEval(t, enc, Batch{InputIDs: ids, TypeIDs: zeros, Mask: ones})
	implicit := forwardEval(t, enc, Batch{InputIDs: ids})
	if d := maxDiff(t, explicit.Hidden, implicit.Hidden, nil); d != 0 {
		t.Errorf("nil TypeIDs/Mask differ from explicit zeros/ones by %g", d)
	}
	// Bool masks work as well as integer ones.
	boolMask, err := ref["pad.attention_mask"].Totype(gotch.Bool, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(boolMask)
	b := batchFrom(ref, "pad")
	withInt := forwardEval(t, enc, b)
	b.Mask = boolMask
	withBool := forwardEval(t, enc, b)
	if d := maxDiff(t, withInt.Hidden, withBool.Hidden, nil); d != 0 {
		t.Errorf("bool mask differs from int mask by %g", d)
	}
}

// TestForwardTrainMode: dropout is active only with train=true; eval is deterministic; gradients
// reach the weights but not the padding row of the word embeddings.
func TestForwardTrainMode(t *testing.T) {
	lock(t)
	ref := readRef(t, filepath.Join(fixture, "reference.safetensors"))
	enc, vs, _ := loadModel(t, filepath.Join(fixture, "bin"))
	b := batchFrom(ref, "pad")
	e1 := forwardEval(t, enc, b)
	e2 := forwardEval(t, enc, b)
	if d := maxDiff(t, e1.Hidden, e2.Hidden, nil); d != 0 {
		t.Errorf("eval mode is not deterministic (%g)", d)
	}
	out, err := enc.Forward(b, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(out.Hidden, out.Pooled)
	if d := maxDiff(t, out.Hidden, e1.Hidden, nil); d < 1e-3 {
		t.Errorf("train mode differs from eval by only %g: dropout inactive?", d)
	}
	loss, err := out.Pooled.Sum(gotch.Float, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(loss)
	if err := loss.Backward(); err != nil {
		t.Fatal(err)
	}
	grad, err := mustGet(t, vs, "bert.embeddings.word_embeddings.weight").Grad(false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(grad)
	g := floats(t, grad)
	var padNorm, restNorm float64
	for i, v := range g {
		if i < 32 {
			padNorm += math.Abs(float64(v))
		} else {
			restNorm += math.Abs(float64(v))
		}
	}
	if padNorm != 0 || restNorm == 0 {
		t.Errorf("word-embedding gradient: |pad row| %g (want 0), |other rows| %g (want > 0)", padNorm, restNorm)
	}
}

func TestActivation(t *testing.T) {
	lock(t)
	x, err := ts.OfSlice([]float32{-2, -0.5, 0, 0.5, 2})
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(x)
	erfGelu := func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) }
	tanhGelu := func(v float64) float64 {
		return 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v)))
	}
	cases := map[string]func(float64) float64{
		"gelu":       erfGelu,
		"gelu_new":   tanhGelu,
		"relu":       func(v float64) float64 { return math.Max(v, 0) },
		"silu":       func(v float64) float64 { return v / (1 + math.Exp(-v)) },
		"tanh":       math.Tanh,
		"quick_gelu": func(v float64) float64 { return v / (1 + math.Exp(-1.702*v)) },
	}
	in := floats(t, x)
	for name, want := range cases {
		f, err := Activation(name)
		if err != nil {
			t.Fatal(err)
		}
		y := f(x)
		if y == nil {
			t.Fatalf("%s returned nil", name)
		}
		for i, v := range floats(t, y) {
			if d := math.Abs(float64(v) - want(float64(in[i]))); d > 1e-6 {
				t.Errorf("%s(%v) = %v, want %v", name, in[i], v, want(float64(in[i])))
			}
		}
		tsx.Drop(y)
	}
	if _, err := Activation("gelu_erf"); err == nil || !strings.Contains(err.Error(), "gelu_new") {
		t.Errorf("unknown activation: %v", err)
	}
}

// TestActivationNames keeps Validate's list (config.go, which builds without libtorch) and the
// implemented activations in step: a name listed but not implemented would pass Validate and
// fail in NewEncoder; one implemented but not listed would be rejected by Validate.
func TestActivationNames(t *testing.T) {
	impl := slices.Sorted(maps.Keys(activations))
	if !slices.Equal(impl, activationNames) {
		t.Errorf("implemented activations %v, config.go lists %v (sorted)", impl, activationNames)
	}
}
