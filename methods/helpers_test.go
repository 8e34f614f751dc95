//go:build cgo

package methods

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tensortest"
	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

// Shared tensor helpers (internal/tensortest).
var (
	lock    = tensortest.Lock
	shapeOf = tensortest.Shape
	floats  = tensortest.Floats
	maxDiff = tensortest.MaxDiff
)

// tinyConfig is a small random-weights BERT: 2 layers, H=16, 4 heads, FFN 24.
func tinyConfig() model.Config {
	return model.Config{
		HiddenSize: 16, NumHiddenLayers: 2, NumAttentionHeads: 4, IntermediateSize: 24,
		MaxPositionEmbeddings: 32, TypeVocabSize: 2, VocabSize: 40,
		LayerNormEps: 1e-12, HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1,
		HiddenAct: "gelu", InitializerRange: 0.02,
	}
}

// tinyConfigFor is tinyConfig as the given architecture: NEZHA clipping relative distances at
// 4, RoFormer with 12-wide embeddings projected to H and rotary values.
func tinyConfigFor(arch string) model.Config {
	c := tinyConfig()
	switch arch {
	case model.ArchNEZHA:
		c.ModelType, c.MaxRelativePosition = arch, 4
	case model.ArchRoFormer:
		c.ModelType, c.EmbeddingSize, c.RotaryValue = arch, 12, true
	}
	return c
}

// mustMethod builds a method from --set style options.
func mustMethod(t *testing.T, name string, kv ...string) Method {
	t.Helper()
	m, err := FromSettings(name, kv)
	if err != nil {
		t.Fatalf("FromSettings(%s, %v): %v", name, kv, err)
	}
	return m
}

// build makes a VarStore holding an encoder for cfg with m attached (m may be nil), seeded so
// that equal seeds give equal weights. The VarStore is destroyed after the test.
func build(t *testing.T, cfg model.Config, m Method, seed int64) (*nn.VarStore, *model.Encoder) {
	t.Helper()
	torchrt.ManualSeed(seed)
	vs := nn.NewVarStore(gotch.CPU)
	t.Cleanup(vs.Destroy)
	enc, err := model.NewEncoder(vs.Root().Sub(cfg.Namespace()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m != nil {
		if err := m.Attach(vs.Root().Sub(m.Name()), enc); err != nil {
			t.Fatalf("attach %s: %v", m.Name(), err)
		}
	}
	return vs, enc
}

// randomize overwrites the variables whose names pass keep with N(0, std²) values (LayerNorm
// weights around 1), standing in for a trained checkpoint: a fresh encoder has zero biases
// and unit LayerNorms, which would hide mistakes in how biases and norms are wired.
func randomize(t *testing.T, vs *nn.VarStore, std float64, keep func(string) bool) {
	t.Helper()
	vars := vs.Variables()
	// In name order: map order would hand each run's random draws to other variables, and a
	// test built on this (a dead ReLU unit leaving an adapter bias unchanged, say) would pass
	// or fail by chance.
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		v := vars[name]
		if !keep(name) {
			continue
		}
		base := 0.0
		if strings.Contains(name, "LayerNorm.weight") {
			base = 1
		}
		r := randn(t, shapeOf(t, &v), std, base)
		setVar(t, &v, r)
		tsx.Drop(r)
	}
}

// randn is a CPU tensor of N(mean, std²) values; the caller drops it.
func randn(t *testing.T, dims []int64, std, mean float64) *ts.Tensor {
	t.Helper()
	r, err := ts.Randn(dims, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	s, b := ts.FloatScalar(std), ts.FloatScalar(mean)
	r1, err := r.MulScalar(s, true)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := r1.AddScalar(b, true)
	if err != nil {
		t.Fatal(err)
	}
	return r2
}

// setVar copies src into the variable v in place, outside autograd.
func setVar(t *testing.T, v, src *ts.Tensor) {
	t.Helper()
	noGrad(t, func() {
		libtch.AtCopy_(libtch.Ctensor(v.Ctensor()), libtch.Ctensor(src.Ctensor()))
	})
	if err := ts.TorchErr(); err != nil {
		t.Fatalf("copy: %v", err)
	}
}

// noGrad runs fn with autograd off on this thread and restores the previous mode. It calls
// libtch directly: ts.GradSetEnabled reads libtch's C int result as a 64-bit int, so the
// previous mode it reports is unreliable.
func noGrad(t *testing.T, fn func()) {
	t.Helper()
	prev := int32(libtch.AtGradSetEnabled(0))
	defer libtch.AtGradSetEnabled(int(prev))
	fn()
}

func numel(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}

// int64Tensor makes a (rows, cols) int64 tensor; it is dropped after the test.
func int64Tensor(t *testing.T, data []int64, rows, cols int64) *ts.Tensor {
	t.Helper()
	y, err := newInt64(data, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tsx.Drop(y) })
	return y
}

// newInt64 makes an int64 tensor of the given shape; the caller drops it.
func newInt64(data []int64, shape ...int64) (*ts.Tensor, error) {
	x, err := ts.OfSlice(data)
	if err != nil {
		return nil, err
	}
	return x.View(shape, true)
}

// padded builds a batch of token rows right-padded with 0 to the longest row, with type ids
// 1 on the second half of each row (a sentence pair) and the matching mask. Its tensors are
// dropped after the test.
func padded(t *testing.T, rows [][]int64) model.Batch {
	t.Helper()
	b, err := paddedBatch(rows)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tsx.Drop(b.InputIDs, b.TypeIDs, b.Mask) })
	return b
}

// paddedBatch is padded's batch, which the caller drops.
func paddedBatch(rows [][]int64) (model.Batch, error) {
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	n := len(rows) * width
	ids, types, mask := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, r := range rows {
		for j, id := range r {
			ids[i*width+j] = id
			mask[i*width+j] = 1
			if j >= len(r)/2 {
				types[i*width+j] = 1
			}
		}
	}
	b, w := int64(len(rows)), int64(width)
	var out model.Batch
	var err error
	if out.InputIDs, err = newInt64(ids, b, w); err == nil {
		if out.TypeIDs, err = newInt64(types, b, w); err == nil {
			out.Mask, err = newInt64(mask, b, w)
		}
	}
	if err != nil {
		tsx.Drop(out.InputIDs, out.TypeIDs, out.Mask)
		return model.Batch{}, err
	}
	return out, nil
}

// sampleRows are token rows of lengths 7, 4 and 2 for the tiny vocabulary.
var sampleRows = [][]int64{{2, 11, 12, 13, 3, 14, 3}, {2, 21, 22, 3}, {2, 3}}

// forwardEval runs an eval-mode forward without autograd; outputs are dropped after the test.
func forwardEval(t *testing.T, enc *model.Encoder, b model.Batch) model.Output {
	t.Helper()
	var (
		out model.Output
		err error
	)
	noGrad(t, func() { out, err = enc.Forward(b, false) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tsx.Drop(out.Hidden, out.Pooled) })
	return out
}

// Exported for the conformance test, which trains through package trainer and so lives in
// package methods_test: trainer imports methods.
var (
	TinyConfig    = tinyConfig
	TinyConfigFor = tinyConfigFor
	Randomize     = randomize
	PaddedBatch   = paddedBatch
	SampleRows    = sampleRows
)
