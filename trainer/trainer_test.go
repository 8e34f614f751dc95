package trainer

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/internal/tensortest"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
)

func TestDecays(t *testing.T) {
	for name, want := range map[string]bool{
		"bert.encoder.layer.0.attention.self.query.weight":       true,
		"bert.encoder.layer.0.attention.self.query.bias":         false,
		"bert.encoder.layer.0.attention.output.LayerNorm.weight": false,
		"bert.embeddings.LayerNorm.bias":                         false,
		"bert.embeddings.word_embeddings.weight":                 true,
		"classifier.weight":                                      true,
		"classifier.bias":                                        false,
		"fl-tuning.layer.0.w_in":                                 true,
		"p-tuning-v2.prefix":                                     true,
	} {
		if got := Decays(name); got != want {
			t.Errorf("Decays(%s) = %v, want %v", name, got, want)
		}
	}
}

// tinySpec is a 2-layer, H=16 classifier over three labels with the named method.
func tinySpec(t *testing.T, method string, set ...string) Spec {
	t.Helper()
	m, err := methods.FromSettings(method, set)
	if err != nil {
		t.Fatal(err)
	}
	kind, err := heads.Lookup(clue.Classification)
	if err != nil {
		t.Fatal(err)
	}
	return Spec{
		Config: model.Config{HiddenSize: 16, NumHiddenLayers: 2, NumAttentionHeads: 4, IntermediateSize: 24,
			MaxPositionEmbeddings: 32, TypeVocabSize: 2, VocabSize: 40, LayerNormEps: 1e-12,
			HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1, HiddenAct: "gelu", InitializerRange: 0.02},
		Method: m, Kind: kind, Task: &clue.Task{Name: "tiny", Kind: clue.Classification, Labels: []string{"a", "b", "c"}},
		Head: heads.Options{MaxLen: 16, Dropout: 0.1}, Device: gotch.CPU, Seed: 3, WeightDecay: 0.01,
	}
}

func newModel(t *testing.T, s Spec) *Model {
	t.Helper()
	m, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// tinyBatch is a fresh (3, 5) batch with labels; Step drops it.
func tinyBatch(int) (*heads.Batch, error) {
	mk := func(data []int64, shape ...int64) (*ts.Tensor, error) {
		x, err := ts.OfSlice(data)
		if err != nil {
			return nil, err
		}
		return x.View(shape, true)
	}
	ids, err := mk([]int64{2, 11, 12, 3, 0, 2, 21, 22, 23, 3, 2, 3, 0, 0, 0}, 3, 5)
	if err != nil {
		return nil, err
	}
	b := &heads.Batch{In: model.Batch{InputIDs: ids}, Units: 3}
	if b.In.TypeIDs, err = mk(make([]int64, 15), 3, 5); err == nil {
		if b.In.Mask, err = mk([]int64{1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, 3, 5); err == nil {
			b.Target, err = mk([]int64{0, 2, 1}, 3)
		}
	}
	if err != nil {
		b.Drop()
		return nil, err
	}
	return b, nil
}

func values(t *testing.T, vs *nn.VarStore) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for name, v := range vs.Variables() {
		out[name] = tensortest.Floats(t, &v)
	}
	return out
}

// TestNew checks what trains, the optimiser's parameters and their decay, and that the seed
// alone fixes the initial weights.
func TestNew(t *testing.T) {
	tensortest.Lock(t)
	s := tinySpec(t, "p-tuning-v2", "prefix_len=3")
	var loaded []string
	s.Load = func(vs *nn.VarStore) error {
		for name := range vs.Variables() {
			loaded = append(loaded, name)
		}
		return nil
	}
	m := newModel(t, s)
	slices.Sort(loaded)
	if all := slices.Sorted(slices.Values(append(slices.Clone(m.Trainable), m.Frozen...))); !slices.Equal(loaded, all) {
		t.Errorf("Load saw %v, the model has %v", loaded, all)
	}
	for _, name := range m.Trainable {
		if !strings.HasPrefix(name, "classifier.") && !strings.HasPrefix(name, "p-tuning-v2.") {
			t.Errorf("%s trains", name)
		}
	}
	if !slices.Contains(m.Trainable, "classifier.weight") || !slices.IsSorted(m.Trainable) {
		t.Errorf("trainable %v: want the head among them, sorted", m.Trainable)
	}
	params := m.Opt.Params()
	if len(params) != len(m.Trainable) {
		t.Fatalf("%d optimiser parameters for %d trainable variables", len(params), len(m.Trainable))
	}
	for i, p := range params {
		if p.Name != m.Trainable[i] || p.Decay != Decays(p.Name) {
			t.Errorf("parameter %d: %s decay %v; want %s decay %v", i, p.Name, p.Decay, m.Trainable[i], Decays(m.Trainable[i]))
		}
	}
	n, err := m.TrainableElements()
	_, backbone := s.Method.Count(s.Config)
	if want := backbone + heads.ClassifierParams(s.Config.HiddenSize, 3); err != nil || n != want {
		t.Errorf("TrainableElements = %d, %v; want %d", n, err, want)
	}

	// A method attaches to one encoder: each model gets its own.
	again := values(t, newModel(t, tinySpec(t, "p-tuning-v2", "prefix_len=3")).VS)
	other := tinySpec(t, "p-tuning-v2", "prefix_len=3")
	other.Seed++
	differ := values(t, newModel(t, other).VS)
	first := values(t, m.VS)
	for name, v := range first {
		if !slices.Equal(v, again[name]) {
			t.Errorf("%s differs between two models of one seed", name)
		}
	}
	if slices.Equal(first["classifier.weight"], differ["classifier.weight"]) {
		t.Error("another seed gave the same head")
	}

	s = tinySpec(t, "p-tuning-v2", "prefix_len=3")
	s.Load = func(*nn.VarStore) error { return errors.New("no checkpoint") }
	if _, err := New(s); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Errorf("New with a failing Load: %v", err)
	}
}

// TestStep checks that a step moves every trainable variable and no frozen one, and that a
// loss that is not finite stops it before the update.
func TestStep(t *testing.T) {
	tensortest.Lock(t)
	m := newModel(t, tinySpec(t, "fl-tuning", "units=4"))
	before := values(t, m.VS)
	var ph Phases
	losses, err := m.Step(2, 3, tinyBatch, 1e-2, 1.0, &ph)
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 2 || !(losses[0] > 0) || ph.Forward <= 0 || ph.Backward <= 0 || ph.Optimizer <= 0 {
		t.Errorf("losses %v, phases %+v", losses, ph)
	}
	after := values(t, m.VS)
	for _, name := range m.Trainable {
		if slices.Equal(before[name], after[name]) {
			t.Errorf("trainable %s did not move", name)
		}
	}
	for _, name := range m.Frozen {
		if !slices.Equal(before[name], after[name]) {
			t.Errorf("frozen %s moved", name)
		}
	}
	if got := m.Opt.StateTensors(); got != 2*len(m.Trainable) {
		t.Errorf("%d optimiser state tensors for %d trainable variables", got, len(m.Trainable))
	}

	if _, err := m.Step(2, 1, tinyBatch, 1e-2, 0, nil); err == nil {
		t.Error("two micro-batches with the loss divided by 1: no error")
	}
	w := m.VS.Variables()["classifier.weight"]
	if err := tsx.NoGrad(func() error { return tsx.MulScalar(&w, math.NaN()) }); err != nil {
		t.Fatal(err)
	}
	nan := values(t, m.VS)
	if _, err := m.Step(1, 1, tinyBatch, 1e-2, 1.0, nil); !errors.Is(err, ErrDiverged) {
		t.Errorf("step with a NaN head: %v, want ErrDiverged", err)
	}
	for name, v := range values(t, m.VS) {
		if name != "classifier.weight" && !slices.Equal(v, nan[name]) {
			t.Errorf("%s moved in a step that diverged", name)
		}
	}
}

// TestStepDivergence checks the finite-divergence rule: a loss far above the first step's
// stops the step before the update, with an error wrapping ErrDiverged; ordinary steps pass.
func TestStepDivergence(t *testing.T) {
	tensortest.Lock(t)
	cases := []struct {
		name    string
		scale   float64 // classifier.weight is multiplied by this after the first step
		lr      float64 // of the later steps
		diverge bool
	}{
		{"healthy", 1, 1e-2, false},
		{"loss blown up", 1e5, 1e-2, true},
		{"learning rate 1e3", 1, 1e3, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tensortest.Lock(t) // a subtest runs on its own goroutine: grad mode is per OS thread
			m := newModel(t, tinySpec(t, "fl-tuning", "units=4"))
			first, err := m.Step(1, 1, tinyBatch, 1e-2, 1.0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.scale != 1 {
				w := m.VS.Variables()["classifier.weight"]
				if err := tsx.NoGrad(func() error { return tsx.MulScalar(&w, c.scale) }); err != nil {
					t.Fatal(err)
				}
			}
			var (
				losses []float64
				before map[string][]float32
			)
			for step := 2; step <= 6; step++ {
				before = values(t, m.VS)
				if losses, err = m.Step(1, 1, tinyBatch, c.lr, 1.0, nil); err != nil {
					break
				}
			}
			if !c.diverge {
				if err != nil {
					t.Fatalf("healthy steps: %v (first loss %v)", err, first)
				}
				return
			}
			if !errors.Is(err, ErrDiverged) || !strings.HasPrefix(err.Error(), "diverged: ") {
				t.Fatalf("err = %v (losses %v, first %v); want ErrDiverged", err, losses, first)

			}
			if v := losses[len(losses)-1]; !math.IsNaN(v) && !math.IsInf(v, 0) && !strings.Contains(err.Error(), "exceeds 100× the first step's") {
				t.Errorf("finite divergence reported as %q", err)
			}
			for name, v := range values(t, m.VS) {
				if !slices.Equal(v, before[name]) {
					t.Errorf("%s moved in the step that diverged", name)
				}
			}
		})
	}
}
