package perf

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch/libtch"

	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
)

// tinyWorkload is a workload of a few milliseconds per step. A method without an entry in the
// size's tables runs with its default options and a learning rate of 1e-3.
func tinyWorkload(method string) Workload { return tinyWorkloadOn(model.ArchBERT, method) }

// tinyWorkloadOn is tinyWorkload on another backbone. NEZHA clips relative distances at 3, so
// that the 8-token rows reach the clipping; RoFormer embeds at width 16 under hidden 32
// (embeddings_project) and rotates the values too.
func tinyWorkloadOn(arch, method string) Workload {
	w := tinySize(arch).Workload(method, 1, "")
	if w.LR == 0 {
		w.LR = 1e-3
	}
	return w
}

// tinySize is the size of tinyWorkloadOn's workloads.
func tinySize(arch string) Size {
	s := Size{Name: "tiny", Config: model.Config{HiddenSize: 32, NumHiddenLayers: 2, NumAttentionHeads: 2, IntermediateSize: 64,
		MaxPositionEmbeddings: 64, TypeVocabSize: 2, VocabSize: 50, LayerNormEps: 1e-12, HiddenDropoutProb: 0.1,
		AttentionProbsDropoutProb: 0.1, HiddenAct: "gelu", InitializerRange: 0.02},
		Batch: 4, Seq: 8, Warmup: 1, Steps: 2, Reps: 1,
		Options: map[string][]string{"p-tuning-v2": {"prefix_len=3"}, "fl-tuning": {"units=5"}},
		LR:      map[string]float64{"fine-tuning": 1e-3, "p-tuning-v2": 1e-2, "fl-tuning": 1e-3}}
	s = s.WithBackbone(arch)
	switch arch {
	case model.ArchNEZHA:
		s.Config.MaxRelativePosition = 3
	case model.ArchRoFormer:
		s.Config.EmbeddingSize, s.Config.RotaryValue = 16, true
	}
	return s
}

// TestRunOurs runs every registered method's step loop, measured by perf or not, and checks
// that it trains exactly the method's parameters plus the head, as the runner's accounting says.
func TestRunOurs(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	for _, name := range methods.Names() {
		w := tinyWorkload(name)
		m, err := RunOurs(w)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		meth, err := methods.FromSettings(name, w.Options)
		if err != nil {
			t.Fatal(err)
		}
		_, backbone := meth.Count(w.Config)
		want := backbone + heads.ClassifierParams(w.Config.HiddenSize, w.Labels)
		if m.Trainable != want || m.Steps != w.Steps || len(m.StepMS) != w.Steps || !(m.StepsPerS > 0) || m.Threads != 1 || len(m.BLAS) == 0 || m.Device != "cpu" {
			t.Errorf("%s: %+v; want %d trainable, %d steps, 1 thread, a BLAS, the CPU", name, m, want, w.Steps)
		}
		if len(m.GEMMMS) != 0 {
			t.Errorf("%s: products timed without the workload's products: %v", name, m.GEMMMS)
		}
		// The bf16 mode trains the same parameters; after the same steps, batches and dropout
		// masks its loss differs from float32's by rounding only.
		w.BF16 = true
		b, err := RunOurs(w)
		if err != nil {
			t.Fatalf("%s bf16: %v", name, err)
		}
		if b.Side != "ours-bf16" || b.Trainable != want || math.Abs(b.FinalLoss-m.FinalLoss) > 0.05 {
			t.Errorf("%s bf16: side %q, %d trainable, final loss %v (float32 %v)", name, b.Side, b.Trainable, b.FinalLoss, m.FinalLoss)
		}
	}
}

// TestProductsBesideTheSteps: with the step's products in the workload, both sides time them
// after every timed step, and only then.
func TestProductsBesideTheSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	r := referenceRunner(t)
	for _, method := range []string{"fine-tuning", "p-tuning-v2"} {
		w := tinyWorkload(method)
		f, err := CountStepFLOPs(w)
		if err != nil {
			t.Fatal(err)
		}
		w.GEMMs = f.GEMMs
		ours, err := RunOurs(w)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		ref, err := r.Reference(context.Background(), w)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		for _, m := range []Measurement{ours, ref} {
			if len(m.GEMMMS) != w.Steps || len(m.StepMS) != w.Steps {
				t.Errorf("%s %s: %d product times for %d steps", method, m.Side, len(m.GEMMMS), len(m.StepMS))
			}
			for _, ms := range m.GEMMMS {
				if !(ms > 0) {
					t.Errorf("%s %s: product times %v", method, m.Side, m.GEMMMS)
				}
			}
		}
	}
}

// referenceRunner runs reference.py with Debian's python3-torch on one thread, or skips the
// test where that is not installed.
func referenceRunner(t *testing.T) *Runner {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skip("Debian's python3-torch is not installed")
	}
	r := &Runner{Python: py, Env: ThreadEnv(1, "passive"), Log: os.Stderr}
	if err := r.WriteScript(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReferenceBuildsTheSameModel runs reference.py on the tiny workload of every backbone: it
// must train as many parameters as our side for every method, or the comparison would be
// between two models. RoFormer's P-tuning v2 also runs with shifted positions.
func TestReferenceBuildsTheSameModel(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model in Python")
	}
	r := referenceRunner(t)
	for _, arch := range model.Architectures {
		ws := []Workload{}
		for _, name := range Methods {
			ws = append(ws, tinyWorkloadOn(arch, name))
		}
		if arch == model.ArchRoFormer {
			w := tinyWorkloadOn(arch, "p-tuning-v2")
			w.Options = append(w.Options, "positions=shifted")
			ws = append(ws, w)
		}
		for _, w := range ws {
			name := arch + " " + w.Method + " " + strings.Join(w.Options, " ")
			ref, err := r.Reference(context.Background(), w)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			ours, err := RunOurs(w)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := comparable(ours, ref); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

// TestReferenceArchitectures checks reference.py's NEZHA and RoFormer arithmetic, not just
// its parameter count: on model/testdata/arch's tiny models its hidden states must match the
// independent float64 references there (testdata/check_reference.py).
func TestReferenceArchitectures(t *testing.T) {
	referenceRunner(t) // skips without python3-torch
	out, err := exec.Command("/usr/bin/python3", filepath.Join("testdata", "check_reference.py"),
		filepath.Join("..", "model", "testdata", "arch")).CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Errorf("check_reference.py: %v", err)
	}
}

// TestCUDASides runs both sides on "cuda". Where libtorch sees no GPU, each must refuse with
// an error that says so; on a CUDA machine both must train the same model there and report
// the same device.
func TestCUDASides(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model in Python")
	}
	r := referenceRunner(t)
	w := tinyWorkload("p-tuning-v2")
	w.Device = "cuda"
	ours, oursErr := RunOurs(w)
	ref, refErr := r.Reference(context.Background(), w)
	if !libtch.AtcCudaIsAvailable() {
		if oursErr == nil || !strings.Contains(oursErr.Error(), "no CUDA device") {
			t.Errorf("ours on cuda without a GPU: %v, want an error saying there is no CUDA device", oursErr)
		}
		if refErr == nil || !strings.Contains(refErr.Error(), "no CUDA device") {
			t.Errorf("reference on cuda without a GPU: %v, want an error saying there is no CUDA device", refErr)
		}
		return
	}
	if oursErr != nil || refErr != nil {
		t.Fatalf("on cuda: ours %v, reference %v", oursErr, refErr)
	}
	if ours.Device != "cuda:0" {
		t.Errorf("ours reports device %q, want cuda:0", ours.Device)
	}
	if err := comparable(ours, ref); err != nil {
		t.Error(err)
	}
}
