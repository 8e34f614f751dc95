//go:build cgo

package model

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// headModel is the tiny pretrained encoder plus a fresh 3-way classifier on the pooled output.
func headModel(t *testing.T) (*Encoder, *nn.VarStore, linear) {
	t.Helper()
	enc, vs, _ := loadModel(t, filepath.Join(fixture, "bin"))
	head, err := newLinear(vs.Root().Sub("classifier"), 32, 3, 0.02)
	if err != nil {
		t.Fatal(err)
	}
	return enc, vs, head
}

// sgdStep runs forward (eval mode, so the step is deterministic), backward on sum(logits²) and
// one SGD step over the whole VarStore.
func sgdStep(t *testing.T, enc *Encoder, vs *nn.VarStore, head linear, b Batch) {
	t.Helper()
	opt, err := nn.DefaultSGDConfig().Build(vs, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	out, err := enc.Forward(b, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(out.Hidden, out.Pooled)
	logits, err := head.forward(out.Pooled)
	if err != nil {
		t.Fatal(err)
	}
	sq, err := logits.Square(true)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := sq.Sum(gotch.Float, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(loss)
	if err := opt.ZeroGrad(); err != nil {
		t.Fatal(err)
	}
	if err := loss.Backward(); err != nil {
		t.Fatal(err)
	}
	if err := opt.Step(); err != nil {
		t.Fatal(err)
	}
}

func snapshot(t *testing.T, vs *nn.VarStore, names ...string) map[string][]float32 {
	m := map[string][]float32{}
	for _, n := range names {
		m[n] = floats(t, mustGet(t, vs, n))
	}
	return m
}

func TestSetTrainableFreezes(t *testing.T) {
	lock(t)
	ref := readRef(t, filepath.Join(fixture, "reference.safetensors"))
	enc, vs, head := headModel(t)
	keep := func(n string) bool {
		return strings.HasPrefix(n, "classifier.") || strings.HasPrefix(n, "bert.pooler.")
	}
	trainable, frozen, err := SetTrainable(vs, keep)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"bert.pooler.dense.bias", "bert.pooler.dense.weight", "classifier.bias", "classifier.weight"}
	if !slices.Equal(trainable, want) || len(frozen) != 37 {
		t.Fatalf("trainable %v (want %v), %d frozen (want 37)", trainable, want, len(frozen))
	}
	watch := []string{"bert.encoder.layer.1.output.dense.weight", "bert.embeddings.word_embeddings.weight",
		"bert.embeddings.LayerNorm.weight", "bert.pooler.dense.weight", "classifier.weight"}
	before := snapshot(t, vs, watch...)
	sgdStep(t, enc, vs, head, batchFrom(ref, "pad"))
	after := snapshot(t, vs, watch...)
	for _, n := range watch {
		changed := !equalFloats(before[n], after[n])
		if changed != keep(n) {
			t.Errorf("%s: changed=%v after a step, want %v", n, changed, keep(n))
		}
	}
	// Unfreezing works too: the encoder layer now moves.
	if _, _, err := SetTrainable(vs, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	n := "bert.encoder.layer.1.output.dense.weight"
	before = snapshot(t, vs, n)
	sgdStep(t, enc, vs, head, batchFrom(ref, "pad"))
	if equalFloats(before[n], snapshot(t, vs, n)[n]) {
		t.Errorf("%s did not change after unfreezing", n)
	}
}

func TestSetTrainableRejectsIntegerVariables(t *testing.T) {
	lock(t)
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	ids, err := ts.Zeros([]int64{3}, gotch.Int64, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(ids)
	if _, err := vs.Root().Add("ids", ids, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := SetTrainable(vs, func(string) bool { return true }); err == nil || !strings.Contains(err.Error(), "ids") {
		t.Errorf("integer variable made trainable: %v", err)
	}
	if tr, fr, err := SetTrainable(vs, func(string) bool { return false }); err != nil || len(tr) != 0 || len(fr) != 1 {
		t.Errorf("freezing an integer variable: %v %v %v", tr, fr, err)
	}
}

func TestSaveLoadTrainable(t *testing.T) {
	lock(t)
	ref := readRef(t, filepath.Join(fixture, "reference.safetensors"))
	enc, vs, head := headModel(t)
	keep := func(n string) bool { return strings.HasPrefix(n, "classifier.") }
	if _, _, err := SetTrainable(vs, keep); err != nil {
		t.Fatal(err)
	}
	sgdStep(t, enc, vs, head, batchFrom(ref, "pad"))
	path := filepath.Join(t.TempDir(), "tuned.safetensors")
	if err := SaveTrainable(path, vs); err != nil {
		t.Fatal(err)
	}
	saved, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	defer dropMap(saved)
	if got := sortedKeys(saved); !slices.Equal(got, []string{"classifier.bias", "classifier.weight"}) {
		t.Errorf("saved %v, want only the classifier", got)
	}

	_, vs2, _ := headModel(t) // fresh head with different random weights
	names := []string{"classifier.weight", "classifier.bias", "bert.pooler.dense.weight"}
	want := snapshot(t, vs, names...)
	if equalFloats(want["classifier.weight"], snapshot(t, vs2, "classifier.weight")["classifier.weight"]) {
		t.Fatal("fresh head already equals the tuned one; the test would prove nothing")
	}
	if err := LoadTrainable(path, vs2); err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, vs2, names...)
	for _, n := range names {
		if !equalFloats(got[n], want[n]) {
			t.Errorf("%s differs after the round trip", n)
		}
	}
}

func TestTrainableErrors(t *testing.T) {
	lock(t)
	_, vs, _ := headModel(t)
	if _, _, err := SetTrainable(vs, func(string) bool { return false }); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := SaveTrainable(filepath.Join(dir, "none.safetensors"), vs); err == nil {
		t.Error("saving with nothing trainable succeeded")
	}
	wrong, err := ts.Zeros([]int64{2, 32}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(wrong)
	path := filepath.Join(dir, "bad.safetensors")
	if err := WriteSafetensors(path, map[string]*ts.Tensor{
		"classifier.weight": wrong, "prefix.embedding": wrong, "classifier.bias": mustGet(t, vs, "classifier.bias"),
	}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, vs, "classifier.bias")
	err = LoadTrainable(path, vs)
	for _, want := range []string{path, "unknown variable prefix.embedding", "wrong shape classifier.weight: file [2 32], model [3 32]"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadTrainable error %v lacks %q", err, want)
		}
	}
	if !equalFloats(before["classifier.bias"], snapshot(t, vs, "classifier.bias")["classifier.bias"]) {
		t.Error("a failed LoadTrainable changed variables")
	}
}

// TestNoGradRestoresMode guards against gotch's GradSetEnabled misreporting the previous mode.
func TestNoGradRestoresMode(t *testing.T) {
	lock(t)
	x, err := ts.Ones([]int64{2}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x.SetRequiresGrad(true, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(leaf)
	tracked := func() bool {
		y, err := leaf.MulScalar(ts.FloatScalar(2), false)
		if err != nil {
			t.Fatal(err)
		}
		defer tsx.Drop(y)
		return y.MustRequiresGrad()
	}
	defer libtch.AtGradSetEnabled(1)
	for _, on := range []int{1, 0} {
		libtch.AtGradSetEnabled(on)
		if err := noGrad(func() error {
			if tracked() {
				t.Error("recording inside noGrad")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if tracked() != (on == 1) {
			t.Errorf("grad mode %d not restored after noGrad", on)
		}
	}
}
