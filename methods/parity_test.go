//go:build cgo

package methods

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tensortest"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

// parityTol bounds |Go − PyTorch| in eval mode; the reference is computed in float64.
const parityTol = 1e-5

// gradTol bounds the gradients' error relative to the largest reference gradient of each
// variable. Gradients sum float32 products over every position, so their error runs higher than
// the outputs': over 12 fresh seeds the worst variable of each seed (all backbones and methods)
// was off by 2.5e-6–6.6e-6, and one seed's LoRA query gradient on RoFormer by 2.1e-5. A wrong
// formula is off by the gradient's own size.
const gradTol = 5e-5

// refPython is Debian's interpreter, which has torch; the python3 on PATH may not.
const refPython = "/usr/bin/python3"

// parityFixtures were written by `ref_methods.py --out parity --seed 1` (BERT) and
// `ref_methods.py --out parity-ARCH --seed 1 --arch ARCH` (NEZHA, RoFormer).
var parityFixtures = map[string]string{
	model.ArchBERT:     filepath.Join("testdata", "parity"),
	model.ArchNEZHA:    filepath.Join("testdata", "parity-nezha"),
	model.ArchRoFormer: filepath.Join("testdata", "parity-roformer"),
}

type parityCase struct {
	Name   string   `json:"name"`
	Method string   `json:"method"`
	Set    []string `json:"set"`
}

// readTensors reads a safetensors file and drops its tensors after the test.
func readTensors(t *testing.T, path string) map[string]*ts.Tensor {
	t.Helper()
	m, err := model.ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, x := range m {
			x.MustDrop()
		}
	})
	return m
}

// checkMethodParity builds each case's method on the reference encoder, fills every variable
// from the reference files and compares eval-mode outputs at every position.
func checkMethodParity(t *testing.T, dir string) {
	raw, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []parityCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	cfg, err := model.ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	encoder := readTensors(t, filepath.Join(dir, "encoder.safetensors"))
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.Method] = true
		t.Run(c.Name, func(t *testing.T) {
			lock(t)
			ref := readTensors(t, filepath.Join(dir, c.Name+".safetensors"))
			m := mustMethod(t, c.Method, c.Set...)
			vs, enc := build(t, cfg, m, 1)
			used := 0
			for name, v := range vs.Variables() {
				src, ok := encoder[name]
				if !ok {
					if src, ok = ref[name]; !ok {
						t.Fatalf("reference has no %s", name)
					}
					used++
				}
				if got, want := shapeOf(t, src), shapeOf(t, &v); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("%s: reference shape %v, model %v", name, got, want)
				}
				setVar(t, &v, src)
			}
			// Every method tensor in the reference must have found its variable.
			inOut := 0 // inputs and outputs
			for _, k := range []string{"input_ids", "token_type_ids", "attention_mask", "hidden", "pooled"} {
				if _, ok := ref[k]; ok {
					inOut++
				}
			}
			if want := len(ref) - inOut; used != want {
				t.Fatalf("%d of the reference's %d method tensors used", used, want)
			}
			b := model.Batch{InputIDs: ref["input_ids"], TypeIDs: ref["token_type_ids"], Mask: ref["attention_mask"]}
			out := forwardEval(t, enc, b)
			dh := maxDiff(t, out.Hidden, ref["hidden"], nil)
			dp := 0.0
			if want, ok := ref["pooled"]; ok {
				if out.Pooled == nil {
					t.Fatal("no pooled output, want one")
				}
				dp = maxDiff(t, out.Pooled, want, nil)
			} else if out.Pooled != nil {
				t.Error("pooled output from a backbone without a pooler")
			}
			t.Logf("%s %s %s: max abs error hidden %.2e, pooled %.2e", cfg.Arch(), c.Method, strings.Join(c.Set, " "), dh, dp)
			if dh > parityTol || dp > parityTol {
				t.Errorf("max abs error hidden %.2e, pooled %.2e > %g", dh, dp, parityTol)
			}
			grads := readTensors(t, filepath.Join(dir, "grads-"+c.Name+".safetensors"))
			checkGradParity(t, vs, enc, m, b, grads)
		})
	}
	for _, n := range Names() {
		if !covered[n] {
			t.Errorf("no parity case for %s", n)
		}
	}
}

func TestMethodParityFixture(t *testing.T) {
	for _, arch := range model.Architectures {
		t.Run(arch, func(t *testing.T) { checkMethodParity(t, parityFixtures[arch]) })
	}
}

// TestMethodParityFresh regenerates the references with a random seed, so parity is checked on
// weights and inputs the code has never seen.
func TestMethodParityFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs PyTorch; skipped in -short mode")
	}
	if err := exec.Command(refPython, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s cannot import torch (%v): fresh-input parity not checked", refPython, err)
	}
	for _, arch := range model.Architectures {
		t.Run(arch, func(t *testing.T) {
			seed := rand.Int63n(1 << 31)
			dir := t.TempDir()
			cmd := exec.Command(refPython, filepath.Join("testdata", "ref_methods.py"), "--out", dir, "--seed", fmt.Sprint(seed), "--arch", arch)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ref_methods.py --seed %d --arch %s: %v\n%s", seed, arch, err, out)
			}
			t.Logf("seed %d", seed)
			checkMethodParity(t, dir)
		})
	}
}

// checkGradParity compares the gradients of the reference's loss, sum(hidden ⊙ w_hidden) +
// sum(pooled ⊙ w_pooled) in eval mode, for exactly the variables m trains, with the
// reference's. Errors are relative to the largest reference gradient of the variable (at
// least 1).
func checkGradParity(t *testing.T, vs *nn.VarStore, enc *model.Encoder, m Method, b model.Batch, ref map[string]*ts.Tensor) {
	t.Helper()
	trainable, _, err := model.SetTrainable(vs, m.Trains)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for k := range ref {
		if strings.HasPrefix(k, "grad.") {
			want++
		}
	}
	if len(trainable) != want {
		t.Fatalf("%d trainable variables, the reference has gradients for %d", len(trainable), want)
	}
	out, err := enc.Forward(b, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(out.Hidden, out.Pooled)
	var s tsx.Scope
	defer s.Drop()
	loss, err := s.Track(out.Hidden.Mul(ref["loss.w_hidden"], false))
	if err == nil {
		loss, err = s.Track(loss.Sum(gotch.Float, false))
	}
	if err == nil && out.Pooled != nil {
		var lp *ts.Tensor
		if lp, err = s.Track(out.Pooled.Mul(ref["loss.w_pooled"], false)); err == nil {
			if lp, err = s.Track(lp.Sum(gotch.Float, false)); err == nil {
				loss, err = s.Track(loss.Add(lp, false))
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := loss.Backward(); err != nil {
		t.Fatal(err)
	}
	vars := vs.Variables()
	worst, worstName := 0.0, ""
	for _, name := range trainable {
		r, ok := ref["grad."+name]
		if !ok {
			t.Fatalf("the reference has no gradient for %s", name)
		}
		v := vars[name]
		g, err := s.Track(v.Grad(false))
		if err != nil {
			t.Fatal(err)
		}
		scale := 1.0
		for _, x := range tensortest.Floats(t, r) {
			scale = math.Max(scale, math.Abs(float64(x)))
		}
		if d := maxDiff(t, g, r, nil) / scale; d > worst {
			worst, worstName = d, name
		}
	}
	t.Logf("gradients of %d variables: max relative error %.2e (%s)", len(trainable), worst, worstName)
	if worst > gradTol {
		t.Errorf("gradient of %s: relative error %.2e > %g", worstName, worst, gradTol)
	}
}
