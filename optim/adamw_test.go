package optim

import (
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
)

func tensorOf(t *testing.T, data []float32, shape []int64, dev gotch.Device, grad bool) *ts.Tensor {
	t.Helper()
	x, err := ts.OfSlice(data)
	if err != nil {
		t.Fatal(err)
	}
	y, err := x.Reshape(shape, true)
	if err != nil {
		t.Fatal(err)
	}
	z, err := y.ToDevice(dev, gotch.Float, false, true, true)
	if err != nil {
		t.Fatal(err)
	}
	if grad {
		if err := z.RequiresGrad_(true); err != nil {
			t.Fatal(err)
		}
	}
	return z
}

func randSlice(r *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * scale)
	}
	return s
}

func values(t *testing.T, x *ts.Tensor) []float64 {
	t.Helper()
	c, err := x.ToDevice(gotch.CPU, gotch.Double, false, true, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(c)
	return c.Float64Values()
}

// TestStackSmoke runs the whole stack on the selected device: a two-layer MLP regression,
// forward, backward and AdamW over a subset of the parameters. The loss must fall and the
// parameters outside the optimiser must stay bit-identical although they receive gradients.
func TestStackSmoke(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dev, err := torchrt.ParseDevice("auto")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("device %s (%s)", torchrt.DeviceString(dev), torchrt.DeviceName(dev))
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	const n, in, hid = 64, 8, 16
	x := tensorOf(t, randSlice(r, n*in, 1), []int64{n, in}, dev, false)
	wTrue := tensorOf(t, randSlice(r, in, 1), []int64{in, 1}, dev, false)
	y, err := x.Matmul(wTrue, false)
	if err != nil {
		t.Fatal(err)
	}
	w1 := tensorOf(t, randSlice(r, in*hid, 0.3), []int64{in, hid}, dev, true) // frozen by omission
	w2 := tensorOf(t, randSlice(r, hid, 0.3), []int64{hid, 1}, dev, true)
	b2 := tensorOf(t, make([]float32, 1), []int64{1}, dev, true)
	w1Before := values(t, w1)
	opt := NewAdamW([]Param{{"w2", w2, true}, {"b2", b2, false}}, 0.01)
	defer opt.Close()

	loss := func() *ts.Tensor {
		h, err := x.Matmul(w1, false)
		if err != nil {
			t.Fatal(err)
		}
		h, err = h.Relu(true)
		if err != nil {
			t.Fatal(err)
		}
		o, err := h.Matmul(w2, true)
		if err != nil {
			t.Fatal(err)
		}
		o, err = o.Add(b2, true)
		if err != nil {
			t.Fatal(err)
		}
		l, err := o.MseLoss(y, 1, true)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	var first, last float64
	for step := 0; step < 200; step++ {
		l := loss()
		grads := NewGrads(opt.Params())
		if err := grads.Backward(l, opt.Params()); err != nil {
			t.Fatal(err)
		}
		v := values(t, l)[0]
		tsx.Drop(l)
		if step == 0 {
			first = v
		}
		last = v
		if err := opt.Step(0.02, grads); err != nil {
			t.Fatal(err)
		}
		grads.Free()
	}
	if !(last < 0.5*first) {
		t.Errorf("loss did not fall: first %.4f last %.4f", first, last)
	}
	// Gradients are captured, never accumulated into .grad: not the optimised tensors', nor
	// that of w1, which requires a gradient but is not asked for.
	for name, p := range map[string]*ts.Tensor{"w1": w1, "w2": w2, "b2": b2} {
		g, err := p.Grad(false)
		if err != nil {
			t.Fatal(err)
		}
		if g.MustDefined() {
			t.Errorf("%s.grad is defined after the steps", name)
		}
		tsx.Drop(g)
	}
	for i, v := range values(t, w1) {
		if v != w1Before[i] {
			t.Fatalf("w1[%d] changed from %v to %v although it is not optimised", i, w1Before[i], v)
		}
	}
	if got := opt.StateTensors(); got != 4 {
		t.Errorf("optimiser holds %d state tensors, want 4 (two params)", got)
	}
}

// TestAdamWMatchesTorch compares our AdamW with torch.optim.AdamW on fresh random parameters
// and gradients, with decay on one group only and a changing learning rate.
// TestAdamWMatchesTorch runs both paths of the step: the fused one that float32 CPU tensors
// take (sizes cover its vector body, its tail and several workers) and the eager one.
func TestAdamWMatchesTorch(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skip("Debian's python3-torch is not installed; skipping the PyTorch reference")
	}
	for _, eager := range []bool{false, true} {
		t.Run(map[bool]string{false: "fused", true: "eager"}[eager], func(t *testing.T) { adamwMatchesTorch(t, py, eager) })
	}
}

func adamwMatchesTorch(t *testing.T, py string, eager bool) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	type pspec struct {
		Init  []float32   `json:"init"`
		Decay bool        `json:"decay"`
		Grads [][]float32 `json:"grads"`
	}
	const steps = 6
	spec := struct {
		Params      []pspec   `json:"params"`
		WeightDecay float64   `json:"weight_decay"`
		LRs         []float64 `json:"lrs"`
		Clip        float64   `json:"clip"`
	}{WeightDecay: 0.01, Clip: 10}
	for s := 0; s < steps; s++ {
		spec.LRs = append(spec.LRs, 1e-3*(1-float64(s)/steps)+1e-4)
	}
	sizes := []int{7, 45, 70001}
	for i, n := range sizes {
		p := pspec{Init: randSlice(r, n, 1), Decay: i == 0}
		for s := 0; s < steps; s++ {
			// Global norm about 26 on even steps (clipped to 10), 2.6 on odd ones (left).
			p.Grads = append(p.Grads, randSlice(r, n, []float64{0.1, 0.01}[s%2]))
		}
		spec.Params = append(spec.Params, p)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json")
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(py, "testdata/adamw_ref.py", in, out).CombinedOutput(); err != nil {
		t.Fatalf("reference: %v\n%s", err, msg)
	}
	var want [][]float64
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}

	var params []Param
	for i, p := range spec.Params {
		params = append(params, Param{Name: string(rune('a' + i)), Tensor: tensorOf(t, p.Init, []int64{int64(len(p.Init))}, gotch.CPU, true), Decay: p.Decay})
	}
	opt := NewAdamW(params, spec.WeightDecay)
	opt.eager = eager
	defer opt.Close()
	clipped := 0
	for s := 0; s < steps; s++ {
		grads := NewGrads(params)
		for i, p := range spec.Params {
			// The gradient of sum(param · g) is g; one backward pass per parameter also
			// exercises accumulation (the other parameters' gradients stay as they were).
			g := tensorOf(t, p.Grads[s], []int64{int64(len(p.Grads[s]))}, gotch.CPU, false)
			prod, err := params[i].Tensor.Mul(g, false)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := prod.Sum(gotch.Float, true)
			if err != nil {
				t.Fatal(err)
			}
			if err := grads.Backward(sum, params); err != nil {
				t.Fatal(err)
			}
			tsx.Drop(sum)
			tsx.Drop(g)
		}
		if _, err := grads.ClipNorm(spec.Clip); err != nil {
			t.Fatal(err)
		}
		if grads.Scale() < 1 {
			clipped++
		}
		if err := opt.Step(spec.LRs[s], grads); err != nil {
			t.Fatal(err)
		}
		grads.Free()
	}
	if clipped != steps/2 {
		t.Fatalf("%d of %d steps clipped, want %d: the clipping case is not covered as meant", clipped, steps, steps/2)
	}
	const tol = 1e-6 // float32 arithmetic, same operation order as PyTorch's single-tensor path
	for i, p := range params {
		got := values(t, p.Tensor)
		for j := range got {
			if d := math.Abs(got[j] - want[i][j]); d > tol {
				t.Fatalf("param %d[%d]: got %.9f want %.9f (|diff| %.2g > %.0g)", i, j, got[j], want[i][j], d, tol)
			}
		}
	}
}

// TestClipNorm: the global norm over parameters, the factor it sets, and micro-batch
// accumulation (two passes whose gradients add up).
func TestClipNorm(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := tensorOf(t, []float32{1, 2, 3, 4}, []int64{4}, gotch.CPU, true)
	q := tensorOf(t, []float32{5}, []int64{1}, gotch.CPU, true)
	params := []Param{{Name: "p", Tensor: p}, {Name: "q", Tensor: q}, {Name: "unused", Tensor: tensorOf(t, []float32{0}, []int64{1}, gotch.CPU, true)}}
	grads := NewGrads(params)
	defer grads.Free()
	// Gradients (1.5, 0, 0, 2) for p and 6 for q, in two passes of half each: norm 6.5.
	for range 2 {
		g := tensorOf(t, []float32{0.75, 0, 0, 1}, []int64{4}, gotch.CPU, false)
		prod, _ := p.Mul(g, false)
		sum, _ := prod.Sum(gotch.Float, true)
		qq, _ := q.MulScalar(ts.FloatScalar(3), false)
		qs, _ := qq.Sum(gotch.Float, true)
		loss, _ := sum.Add(qs, true)
		if err := grads.Backward(loss, params); err != nil {
			t.Fatal(err)
		}
		tsx.Drop(loss, g, qq)
	}
	if grads.h[2] != nil {
		t.Error("a parameter that the loss does not use got a gradient")
	}
	view := ts.New(libtch.AtShallowClone(grads.h[0]))
	got := values(t, view)
	tsx.Drop(view)
	if !slices.Equal(got, []float64{1.5, 0, 0, 2}) {
		t.Fatalf("accumulated gradient %v, want [1.5 0 0 2]", got)
	}
	if err := grads.Backward(q, params[:2]); err == nil {
		t.Error("Backward accepted two parameters for gradients of three")
	}
	if norm, err := grads.ClipNorm(10); err != nil || math.Abs(norm-6.5) > 1e-6 || grads.Scale() != 1 {
		t.Fatalf("ClipNorm(10) = %v, %v with scale %v; want 6.5, no clipping", norm, err, grads.Scale())
	}
	norm, err := grads.ClipNorm(1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(norm-6.5) > 1e-6 {
		t.Fatalf("norm %v, want 6.5", norm)
	}
	if want := 1 / (6.5 + 1e-6); math.Abs(grads.Scale()-want) > 1e-12 {
		t.Fatalf("scale %v, want %v", grads.Scale(), want)
	}
	// A second call measures the clipped gradients (norm just under 1, from the 10⁻⁶) and, as
	// clip_grad_norm_ would, scales them by 1/(norm + 10⁻⁶) once more.
	before := grads.Scale()
	norm2, err := grads.ClipNorm(1)
	if err != nil || math.Abs(norm2-1) > 1e-5 {
		t.Fatalf("second ClipNorm(1) = %v, %v; want about 1", norm2, err)
	}
	if want := before / (norm2 + 1e-6); math.Abs(grads.Scale()-want) > 1e-15 {
		t.Fatalf("scale after the second call %v, want %v", grads.Scale(), want)
	}
	grads.Free()
	if grads.Scale() != 1 || grads.h[0] != nil {
		t.Error("Free left a gradient or the factor behind")
	}
}

// TestDisabledWrapperErrors calls a wrapper that the prepared gotch disabled for this libtorch
// (scaled_dot_product_attention does not exist in libtorch 1.13): it must return an error
// naming the wrapper, not crash the process.
func TestDisabledWrapperErrors(t *testing.T) {
	// The prepared copy is wherever go.work's replace directive puts it (a directory shared by
	// checkouts); go list resolves it as the build did.
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/sugarme/gotch").Output()
	if err != nil {
		t.Skipf("locate gotch: %v", err)
	}
	list, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "disabled-wrappers.txt"))
	if err != nil {
		t.Skipf("no prepared gotch list: %v", err)
	}
	if !strings.Contains(string(list), "atg_scaled_dot_product_attention\n") {
		t.Skip("scaled_dot_product_attention is available in this libtorch")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	q := tensorOf(t, make([]float32, 8), []int64{1, 1, 2, 4}, gotch.CPU, false)
	_, err = ts.ScaledDotProductAttention(q, q, q, ts.NewTensor(), 0, false, nil)
	if err == nil || !strings.Contains(err.Error(), "atg_scaled_dot_product_attention: not available in libtorch") {
		t.Fatalf("want a 'not available' error, got %v", err)
	}
}

// TestAdamWZeroLR: a step with learning rate 0 (the end of a linear decay) must leave the
// parameters exactly as they were, not divide by the zero learning rate.
func TestAdamWZeroLR(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	init := []float32{1, -2, 0, 4}
	p := tensorOf(t, init, []int64{4}, gotch.CPU, true)
	g := tensorOf(t, []float32{0.5, 0, -1, 2}, []int64{4}, gotch.CPU, false)
	prod, _ := p.Mul(g, false)
	sum, _ := prod.Sum(gotch.Float, true)
	opt := NewAdamW([]Param{{Name: "p", Tensor: p, Decay: true}}, 0.01)
	defer opt.Close()
	grads := NewGrads(opt.Params())
	defer grads.Free()
	if err := grads.Backward(sum, opt.Params()); err != nil {
		t.Fatal(err)
	}
	if err := opt.Step(0, grads); err != nil {
		t.Fatal(err)
	}
	for i, v := range values(t, p) {
		if v != float64(init[i]) {
			t.Fatalf("param after a zero-lr step: %v, want %v", values(t, p), init)
		}
	}
	if opt.StateTensors() != 2 {
		t.Errorf("state tensors %d, want 2: the moments still update", opt.StateTensors())
	}
}
