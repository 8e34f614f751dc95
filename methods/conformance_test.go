//go:build cgo

package methods_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/internal/tensortest"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/trainer"
)

// conformanceVariants are option sets, beyond each registered method's defaults, that change
// which variables exist or how they are used. A method not listed is checked with its defaults.
var conformanceVariants = map[string][][]string{
	"p-tuning-v2": {
		{"prefix_len=5"},
		{"prefix_len=5", "positions=shifted", "dropout=0.3"},
		{"prefix_len=4", "projection=true", "projection_hidden=8"},
	},
	"fl-tuning": {{"units=6"}, {"units=3", "layers=[1]"}},
	"lora":      {{"r=2", "dropout=0.2", `target_modules=["key","intermediate.dense","output.dense"]`}},
	"bitfit":    {{`biases=["value","LayerNorm","pooler"]`}},
	"adapter":   {{"bottleneck=3", "activation=gelu"}},
	// The budget solves to a bottleneck of a unit or two on the tiny model: with ReLU such a
	// unit can be off for the whole batch, and its bias then rightly gets no gradient.
	"parallel-adapter": {{"bottleneck=5", "budget=0.05", "activation=gelu"}},
	"prompt-tuning":    {{"num_virtual_tokens=4"}},
	"prefix-tuning":    {{"prefix_len=2", "positions=shifted"}},
}

type conformanceCase struct {
	method string
	set    []string // --set options
}

// conformanceCases are every registered method with its defaults, then its variants.
func conformanceCases() []conformanceCase {
	var cases []conformanceCase
	for _, name := range methods.Names() {
		cases = append(cases, conformanceCase{name, nil})
		for _, set := range conformanceVariants[name] {
			cases = append(cases, conformanceCase{name, set})
		}
	}
	return cases
}

// TestConformanceVariantsAreRegistered keeps the variants table in step with the registry: a
// variant of a method no longer registered would silently never run.
func TestConformanceVariantsAreRegistered(t *testing.T) {
	for name := range conformanceVariants {
		if !slices.Contains(methods.Names(), name) {
			t.Errorf("conformance variants for %s, which is not registered", name)
		}
	}
}

// TestConformance trains each method for a few AdamW steps (weight decay on, dropout on) on a
// random classification task, built and stepped by package trainer as the bench runner does,
// and checks that frozen tensors do not require a gradient and stay bit-identical, every
// trainable tensor gets one and moves, the optimiser keeps state for every trainable tensor,
// and the trainable element counts match Count.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few steps; skipped in -short mode")
	}
	for _, arch := range model.Architectures {
		for _, c := range conformanceCases() {
			t.Run(arch+"/"+c.method+"/"+strings.Join(c.set, ","), func(t *testing.T) { checkConformance(t, arch, c) })
		}
	}
}

// checkConformance is TestConformance for one backbone and method.
func checkConformance(t *testing.T, arch string, c conformanceCase) {
	tensortest.Lock(t)
	cfg := methods.TinyConfigFor(arch)
	m, err := methods.FromSettings(c.method, c.set)
	if err != nil {
		t.Fatal(err)
	}
	// P-tuning v2 refuses shifted positions on NEZHA, whose positions are relative.
	refused := arch == model.ArchNEZHA && slices.Contains(c.set, "positions=shifted")
	if err := methods.Check(m, cfg); refused != (err != nil) {
		t.Fatalf("Check on %s: %v, want refused %v", arch, err, refused)
	} else if refused {
		return
	}
	tm := newConformanceModel(t, cfg, m)
	// Random weights stand in for a trained checkpoint and a trained head.
	methods.Randomize(t, tm.VS, 0.3, func(n string) bool {
		return model.IsEncoderVar(n) || strings.HasPrefix(n, "classifier.")
	})
	before := snapshot(t, tm.VS)
	for step := 0; step < 3; step++ {
		if _, err := tm.Step(1, 1, conformanceBatch, 1e-2, 0, nil); err != nil {
			t.Fatalf("step %d: %v", step+1, err)
		}
	}
	after := snapshot(t, tm.VS)

	vars := tm.VS.Variables()
	var count, encoder int64
	for _, name := range tm.Trainable {
		if slices.Equal(before[name], after[name]) {
			t.Errorf("trainable %s did not change", name)
		}
		// A gradient reached it: the optimiser keeps state for it (checked below), which it
		// allocates at a tensor's first gradient.
		if v := vars[name]; !v.MustRequiresGrad() || hasGrad(t, &v) {
			t.Errorf("trainable %s: requires grad %v, .grad defined %v; want true, false (gradients are captured)",
				name, v.MustRequiresGrad(), hasGrad(t, &v))
		}
		if !strings.HasPrefix(name, "classifier.") {
			count += int64(len(after[name]))
		}
		if model.IsEncoderVar(name) {
			encoder += int64(len(after[name]))
		}
	}
	for _, name := range tm.Frozen {
		if !bitsEqual(before[name], after[name]) {
			t.Errorf("frozen %s changed", name)
		}
		if v := vars[name]; v.MustRequiresGrad() || hasGrad(t, &v) {
			t.Errorf("frozen %s: requires grad %v, .grad defined %v; want neither (autograd must not compute it)",
				name, v.MustRequiresGrad(), hasGrad(t, &v))
		}
	}
	if got, want := tm.Opt.StateTensors(), 2*len(tm.Trainable); got != want {
		t.Errorf("optimiser holds %d state tensors, want %d (2 × %d trainable)", got, want, len(tm.Trainable))
	}
	added, backbone := m.Count(cfg)
	if count != backbone {
		t.Errorf("%d trainable encoder-side elements, Count says %d", count, backbone)
	}
	// Count's trainable backbone includes the method's additions; the rest is the
	// encoder's own weights that train.
	if encoder != backbone-added {
		t.Errorf("%d trainable elements of the encoder's own weights, Count says %d (%d trainable less %d added)", encoder, backbone-added, backbone, added)
	}
	if len(tm.Trainable) < 3 {
		t.Errorf("only %d trainable variables: %v", len(tm.Trainable), tm.Trainable)
	}
	// The encoder's own variables are exactly what EncoderParams counts.
	var own int64
	for name := range vars {
		if model.IsEncoderVar(name) {
			own += int64(len(after[name]))
		}
	}
	if total, _ := methods.EncoderParams(cfg); own != total {
		t.Errorf("the encoder has %d elements, EncoderParams says %d", own, total)
	}
}

// newConformanceModel builds cfg's encoder with m attached and a three-label classification
// head on the pooler output (so that fine-tuning's pooler trains too; on [CLS] for RoFormer,
// which has no pooler), through package trainer.
func newConformanceModel(t *testing.T, cfg model.Config, m methods.Method) *trainer.Model {
	t.Helper()
	kind, err := heads.Lookup(clue.Classification)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := trainer.New(trainer.Spec{
		Config: cfg, Method: m, Kind: kind,
		Task:   &clue.Task{Name: "conformance", Kind: clue.Classification, Labels: []string{"a", "b", "c"}},
		Head:   heads.Options{MaxLen: int(cfg.MaxPositionEmbeddings), Pooler: cfg.Arch() != model.ArchRoFormer, Dropout: 0.1},
		Device: gotch.CPU, Seed: 11, WeightDecay: 0.01,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tm.Close)
	return tm
}

// conformanceBatch is a fresh batch of the sample rows with labels 0, 2, 1; Step drops it.
func conformanceBatch(int) (*heads.Batch, error) {
	in, err := methods.PaddedBatch(methods.SampleRows)
	if err != nil {
		return nil, err
	}
	b := &heads.Batch{In: in, Units: len(methods.SampleRows)}
	if b.Target, err = ts.OfSlice([]int64{0, 2, 1}); err != nil {
		b.Drop()
		return nil, err
	}
	return b, nil
}

// hasGrad reports whether v's gradient is defined.
func hasGrad(t *testing.T, v *ts.Tensor) bool {
	t.Helper()
	var g libtch.Ctensor
	libtch.AtgGrad(&g, tsx.Handle(v))
	if err := ts.TorchErr(); err != nil {
		t.Fatalf("grad: %v", err)
	}
	defer libtch.AtFree(g)
	return libtch.AtDefined(g)
}

// snapshot copies every variable's values out of libtorch.
func snapshot(t *testing.T, vs *nn.VarStore) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for name, v := range vs.Variables() {
		if v.DType() != gotch.Float {
			t.Fatalf("%s has dtype %v", name, v.DType())
		}
		out[name] = tensortest.Floats(t, &v)
	}
	return out
}

// bitsEqual compares float32 slices bit for bit (NaN payloads and signed zeros included).
func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
