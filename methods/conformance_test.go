package methods

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/optim"
)

// conformanceCases covers every registered method with default options plus option variants
// that change which variables exist or how they are used.
var conformanceCases = []struct {
	method string
	set    []string // --set options
}{
	{"fine-tuning", nil},
	{"p-tuning-v2", []string{"prefix_len=5"}},
	{"p-tuning-v2", []string{"prefix_len=5", "positions=shifted", "dropout=0.3"}},
	{"p-tuning-v2", []string{"prefix_len=4", "projection=true", "projection_hidden=8"}},
	{"fl-tuning", []string{"units=6"}},
	{"fl-tuning", []string{"units=3", "layers=[1]"}},
}

// TestConformanceCoversRegistry keeps the table in step with the registry.
func TestConformanceCoversRegistry(t *testing.T) {
	for _, n := range Names() {
		covered := false
		for _, c := range conformanceCases {
			covered = covered || c.method == n
		}
		if !covered {
			t.Errorf("method %s has no conformance case", n)
		}
	}
}

// TestConformance trains each method for a few AdamW steps (weight decay on, dropout on) on a
// fake classification loss, marking trainable variables as the bench runner does, and checks
// that frozen tensors stay bit-identical, every trainable tensor moves, the optimiser keeps
// state for trainable tensors only, and the trainable element count matches Count.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few steps; skipped in -short mode")
	}
	for _, c := range conformanceCases {
		t.Run(c.method+"/"+strings.Join(c.set, ","), func(t *testing.T) {
			lock(t)
			cfg := tinyConfig()
			m := mustMethod(t, c.method, c.set...)
			vs, enc := build(t, cfg, m, 11)
			randomize(t, vs, 0.3, func(n string) bool { return strings.HasPrefix(n, "bert.") })
			headW, headB := addHead(t, vs, cfg.HiddenSize, 3)

			trainable, frozen, err := model.SetTrainable(vs, func(n string) bool {
				return strings.HasPrefix(n, "classifier.") || m.Trains(n)
			})
			if err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, vs)
			// The optimiser sees every variable, as gotch's would: frozen ones must get no
			// gradient and so no state.
			vars := vs.Variables()
			var params []optim.Param
			for _, name := range sortedNames(vars) {
				v := vars[name]
				params = append(params, optim.Param{Name: name, Tensor: &v,
					Decay: !strings.HasSuffix(name, ".bias") && !strings.Contains(name, "LayerNorm")})
			}
			opt := optim.NewAdamW(params, 0.01)
			defer opt.Close()
			b := padded(t, sampleRows)
			labels := int64Tensor(t, []int64{0, 2, 1}, 3, 1)
			for step := 0; step < 3; step++ {
				trainStep(t, enc, b, labels, headW, headB, opt)
			}
			after := snapshot(t, vs)

			var count int64
			for _, name := range trainable {
				if slices.Equal(before[name], after[name]) {
					t.Errorf("trainable %s did not change", name)
				}
				if !strings.HasPrefix(name, "classifier.") {
					count += int64(len(after[name]))
					if c.method != "fine-tuning" && strings.HasPrefix(name, "bert.") {
						t.Errorf("%s trains an encoder variable: %s", c.method, name)
					}
				}
			}
			for _, name := range frozen {
				if !bitsEqual(before[name], after[name]) {
					t.Errorf("frozen %s changed", name)
				}
			}
			if got, want := opt.StateTensors(), 2*len(trainable); got != want {
				t.Errorf("optimiser holds %d state tensors, want %d (2 × %d trainable)", got, want, len(trainable))
			}
			_, backbone := m.Count(cfg)
			if count != backbone {
				t.Errorf("%d trainable encoder-side elements, Count says %d", count, backbone)
			}
			if len(trainable) < 3 {
				t.Errorf("only %d trainable variables: %v", len(trainable), trainable)
			}
		})
	}
}

// addHead adds a (n, H) linear classifier under "classifier.", as the runner's head does.
func addHead(t *testing.T, vs *nn.VarStore, h, n int64) (w, b *ts.Tensor) {
	t.Helper()
	p := vs.Root().Sub("classifier")
	wInit, bInit := randn(t, []int64{n, h}, 0.2, 0), randn(t, []int64{n}, 0.2, 0)
	defer wInit.MustDrop()
	defer bInit.MustDrop()
	w, err := p.Add("weight", wInit, true)
	if err != nil {
		t.Fatal(err)
	}
	if b, err = p.Add("bias", bInit, true); err != nil {
		t.Fatal(err)
	}
	return w, b
}

// trainStep runs forward (train mode), cross-entropy on the pooled output's logits, backward
// and an AdamW step.
func trainStep(t *testing.T, enc *model.Encoder, b model.Batch, labels, w, bias *ts.Tensor, opt *optim.AdamW) {
	t.Helper()
	if err := opt.ZeroGrad(); err != nil {
		t.Fatal(err)
	}
	out, err := enc.Forward(b, true)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Hidden.MustDrop()
	defer out.Pooled.MustDrop()
	logits, err := ts.Linear(out.Pooled, w, bias)
	if err != nil {
		t.Fatal(err)
	}
	defer logits.MustDrop()
	target, err := labels.View([]int64{-1}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer target.MustDrop()
	loss, err := logits.CrossEntropyLoss(target, ts.NewTensor(), 1, -100, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	defer loss.MustDrop()
	if err := loss.Backward(); err != nil {
		t.Fatal(err)
	}
	if err := opt.Step(1e-2); err != nil {
		t.Fatal(err)
	}
}

// snapshot copies every variable's values out of libtorch.
func snapshot(t *testing.T, vs *nn.VarStore) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for name, v := range vs.Variables() {
		if v.DType() != gotch.Float {
			t.Fatalf("%s has dtype %v", name, v.DType())
		}
		out[name] = floats(t, &v)
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

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
