package perf

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/model"
)

// TestStepGEMMsAreAFineTuningLayer checks the roofline's products against the FLOP counter:
// a fine-tuning step is its layers' products (each counted Weight times) plus the pooler's
// forward and the classifier's forward and two gradients. The backbone sizes differ by what the
// roofline leaves out: NEZHA's two relative-position products per layer (each the size of the
// scores' forward, with one gradient), and RoFormer's missing pooler.
func TestStepGEMMsAreAFineTuningLayer(t *testing.T) {
	for _, name := range SizeNames() {
		s := Sizes()[name]
		var layer int64
		for _, g := range StepGEMMs(s) {
			layer += int64(g.Weight) * g.FLOPs()
		}
		w := s.Workload("fine-tuning", 1, "")
		f, err := CountStepFLOPs(w)
		if err != nil {
			t.Fatal(err)
		}
		b, h := int64(s.Batch), s.Config.HiddenSize
		want := s.Config.NumHiddenLayers*layer + 2*b*h*h + 3*2*b*h*w.Labels
		switch s.Backbone() {
		case model.ArchNEZHA:
			seq := int64(s.Seq)
			want += s.Config.NumHiddenLayers * 2 * 2 * (2 * b * seq * seq * h)
		case model.ArchRoFormer:
			want -= 2 * b * h * h
		}
		if f.Total != want {
			t.Errorf("%s: counter %d FLOPs, layers of StepGEMMs + pooler + classifier %d", name, f.Total, want)
		}
	}
}

func TestRooflineRate(t *testing.T) {
	// 1 GFLOP each: the projection at 100 GFLOP/s (10 ms) counts four times, the FFN product
	// at 50 GFLOP/s (20 ms) once: 5 GFLOP in 60 ms.
	rl := Roofline{Rates: []GEMMRate{
		{GEMM: GEMM{Kind: "projection", Batch: 1, M: 1000, N: 1000, K: 500, Weight: 4}, FP32MS: 10, BF16MS: 5},
		{GEMM: GEMM{Kind: "ffn-in", Batch: 1, M: 1000, N: 500, K: 1000, Weight: 1}, FP32MS: 20, BF16MS: 40},
	}}
	for _, c := range []struct {
		kind string
		bf16 bool
		want float64
	}{
		{"", false, 5e9 / 60e-3 / 1e9},
		{"", true, 5e9 / 60e-3 / 1e9},
		{"projection", false, 100},
		{"ffn-in", true, 25},
		{"scores", false, 0},
	} {
		if got := rl.Rate(c.kind, c.bf16); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Rate(%q, bf16 %v) = %v, want %v", c.kind, c.bf16, got, c.want)
		}
	}
}

// TestStepRate checks a method's roofline against hand-worked numbers: products are looked up
// by shape alone (kind and pass do not change a product's speed) and weighted by how often the
// step runs them; a shape that was not measured gives no rate rather than a wrong one.
func TestStepRate(t *testing.T) {
	a := GEMM{Kind: "projection", Pass: "forward", Batch: 1, M: 1000, N: 1000, K: 500, TransB: true, Weight: 1} // 1 GFLOP
	b := GEMM{Kind: "scores", Pass: "a", Batch: 10, M: 100, N: 1000, K: 500, Weight: 1}                         // 1 GFLOP
	rl := Roofline{Products: []GEMMRate{{GEMM: a, FP32MS: 10, BF16MS: 20}, {GEMM: b, FP32MS: 40, BF16MS: 10}}}
	twiceA := a
	twiceA.Weight, twiceA.Kind, twiceA.Pass = 2, "branch-in", "input"
	// 2 GFLOP in 20 ms and 1 GFLOP in 40 ms: 3 GFLOP in 60 ms, 50 GFLOP/s; bf16 3 in 50 ms.
	if got := rl.StepRate([]GEMM{twiceA, b}, false); math.Abs(got-50) > 1e-9 {
		t.Errorf("float32 step rate %v, want 50", got)
	}
	if got := rl.StepRate([]GEMM{twiceA, b}, true); math.Abs(got-60) > 1e-9 {
		t.Errorf("bf16 step rate %v, want 60", got)
	}
	transposed := a
	transposed.TransB = false
	if got := rl.StepRate([]GEMM{a, transposed}, false); got != 0 {
		t.Errorf("a shape not measured (no transposed view): rate %v, want 0", got)
	}
	if got := distinctShapes([]GEMM{a, b}, []GEMM{twiceA, transposed}); len(got) != 3 || got[2] != (GEMM{Kind: "projection", Pass: "forward", Batch: 1, M: 1000, N: 1000, K: 500, Weight: 1}) {
		t.Errorf("distinctShapes = %+v, want a, b and the untransposed a", got)
	}
}

// TestMergeFaster keeps each product's faster float32 pass and refuses passes that do not
// match: other products, or another BLAS kernel or thread count.
func TestMergeFaster(t *testing.T) {
	a := GEMM{Kind: "projection", Pass: "forward", Batch: 1, M: 1000, N: 1000, K: 500, Weight: 4} // 1 GFLOP
	b := GEMM{Kind: "scores", Pass: "a", Batch: 10, M: 100, N: 1000, K: 500, Weight: 1}
	set := GEMMMeasurement{BLAS: []string{"openblas"}, BLASCore: "SkylakeX", Threads: 2, Device: "cpu"}
	first, second := set, set
	first.Rates = []GEMMRate{{GEMM: a, FP32MS: 10, FP32GFLOPS: 100, BF16MS: 5, FP32Calls: 3}, {GEMM: b, FP32MS: 20, FP32GFLOPS: 50, FP32Calls: 3}}
	second.Rates = []GEMMRate{{GEMM: a, FP32MS: 12, FP32GFLOPS: 83, FP32Calls: 3}, {GEMM: b, FP32MS: 10, FP32GFLOPS: 100, FP32Calls: 4}}
	got, err := mergeFaster(first, second)
	if err != nil {
		t.Fatal(err)
	}
	want := []GEMMRate{{GEMM: a, FP32MS: 10, FP32GFLOPS: 100, BF16MS: 5, FP32Calls: 6}, {GEMM: b, FP32MS: 10, FP32GFLOPS: 100, FP32Calls: 7}}
	if !slices.Equal(got.Rates, want) {
		t.Errorf("merged %+v, want %+v", got.Rates, want)
	}
	if first.Rates[1].FP32MS != 20 {
		t.Error("mergeFaster changed its first argument")
	}
	other := second
	other.Rates = []GEMMRate{second.Rates[1], second.Rates[0]}
	otherCore := second
	otherCore.BLASCore = "Prescott"
	for name, x := range map[string]GEMMMeasurement{"other products": other, "other kernel": otherCore, "fewer products": {Rates: second.Rates[:1]}} {
		if _, err := mergeFaster(first, x); err == nil {
			t.Errorf("%s: merged", name)
		}
	}
}

// TestRooflineOfNeedsTheLayer refuses a measurement that lacks a fine-tuning layer product.
func TestRooflineOfNeedsTheLayer(t *testing.T) {
	s := Sizes()["builtin"]
	gs := StepGEMMs(s)
	var m GEMMMeasurement
	for _, g := range gs[1:] {
		m.Rates = append(m.Rates, GEMMRate{GEMM: g, FP32MS: 1, BF16MS: 1})
	}
	if _, err := rooflineOf(s, m); err == nil || !strings.Contains(err.Error(), "was not measured") {
		t.Errorf("rooflineOf without %s %s: %v, want an error", gs[0].Kind, gs[0].Pass, err)
	}
}

func TestSameSetup(t *testing.T) {
	blas := []string{"/x/libopenblasp-r0.3.21.so", "/x/libblas.so.3"}
	rl := Roofline{Size: "builtin", BLAS: blas, BLASCore: "SkylakeX", Threads: 2, Device: "cpu"}
	ok := Measurement{BLAS: []string{blas[1], blas[0]}, BLASCore: "SkylakeX", Threads: 2, Device: "cpu"}
	if err := sameSetup(rl, ok); err != nil {
		t.Errorf("same setup refused: %v", err)
	}
	for name, m := range map[string]Measurement{
		"kernel":  {BLAS: blas, BLASCore: "Prescott", Threads: 2, Device: "cpu"},
		"BLAS":    {BLAS: blas[:1], BLASCore: "SkylakeX", Threads: 2, Device: "cpu"},
		"threads": {BLAS: blas, BLASCore: "SkylakeX", Threads: 1, Device: "cpu"},
		"device":  {BLAS: blas, BLASCore: "SkylakeX", Threads: 2, Device: "cuda:0"},
	} {
		var ie *IncomparableError
		if err := sameSetup(rl, m); !errors.As(err, &ie) {
			t.Errorf("another %s: %v, want a refusal", name, err)
		}
	}
}

// TestRunGEMMs times a tiny size's products in this process: every product gets a positive
// rate in both dtypes from at least gemmMinCalls calls.
func TestRunGEMMs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs libtorch")
	}
	s := Size{Name: "tiny", Config: tinyWorkload("fine-tuning").Config, Batch: 2, Seq: 8}
	w := GEMMWorkload{Size: s.Name, GEMMs: StepGEMMs(s), Threads: 1, MinTimeS: 0.001}
	m, err := RunGEMMs(w)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rates) != len(w.GEMMs) || m.Threads != 1 || m.Device != "cpu" || len(m.BLAS) == 0 {
		t.Fatalf("%d rates for %d products, %d threads, device %q, BLAS %v", len(m.Rates), len(w.GEMMs), m.Threads, m.Device, m.BLAS)
	}
	for _, r := range m.Rates {
		// every round times each product at least gemmMinCalls times
		if !(r.FP32GFLOPS > 0) || !(r.BF16GFLOPS > 0) || r.FP32Calls < gemmRounds*gemmMinCalls || r.BF16Calls < gemmRounds*gemmMinCalls {
			t.Errorf("%s %s: %+v", r.Kind, r.Pass, r)
		}
	}
	w.FP32Only = true
	m2, err := RunGEMMs(w)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m2.Rates {
		if !(r.FP32GFLOPS > 0) || r.BF16MS != 0 || r.BF16Calls != 0 {
			t.Errorf("float32 only: %s %s: %+v", r.Kind, r.Pass, r)
		}
	}
	merged, err := mergeFaster(m, m2)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range merged.Rates {
		if r.FP32MS != min(m.Rates[i].FP32MS, m2.Rates[i].FP32MS) || r.BF16MS != m.Rates[i].BF16MS {
			t.Errorf("merged %s %s: %+v from %+v and %+v", r.Kind, r.Pass, r, m.Rates[i], m2.Rates[i])
		}
	}
	w.FP32Only = false
	w.GEMMs = append(w.GEMMs, GEMM{Kind: "projection", Pass: "forward", Batch: 1, M: 0, N: 4, K: 4, Weight: 1})
	if _, err := RunGEMMs(w); err == nil {
		t.Error("an empty product was timed")
	}
}

// TestStepProducts: the products timed beside a step are the step's distinct shapes, each
// weighted by how often the step runs it (two kinds of one shape add up), with the operands the
// step passes (transposed views where it passes one); a pass gives a positive time, and a
// product without a shape or a weight is refused.
func TestStepProducts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs libtorch")
	}
	gemms := []GEMM{
		{Kind: "projection", Pass: "forward", Batch: 1, M: 6, N: 4, K: 5, TransB: true, Weight: 4},
		{Kind: "ffn-in", Pass: "forward", Batch: 1, M: 6, N: 4, K: 5, TransB: true, Weight: 1}, // same shape
		{Kind: "projection", Pass: "weight", Batch: 1, M: 5, N: 4, K: 6, TransA: true, Weight: 4},
		{Kind: "scores", Pass: "forward", Batch: 3, M: 2, N: 2, K: 7, TransB: true, Weight: 2},
	}
	p, err := newStepProducts(gemms, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if len(p.shapes) != 3 || p.shapes[0].Weight != 5 || p.shapes[1].Weight != 4 || p.shapes[2].Weight != 2 {
		t.Fatalf("shapes %+v, want three, weights 5, 4, 2", p.shapes)
	}
	// shape and contiguity of an operand
	describe := func(x *ts.Tensor) ([]int64, bool) {
		size, err := x.Size()
		if err != nil {
			t.Fatal(err)
		}
		contiguous, err := x.IsContiguous()
		if err != nil {
			t.Fatal(err)
		}
		return size, contiguous
	}
	for i, g := range p.shapes {
		wantA, wantB := []int64{g.M, g.K}, []int64{g.K, g.N}
		if g.Batch > 1 {
			wantA, wantB = append([]int64{g.Batch}, wantA...), append([]int64{g.Batch}, wantB...)
		}
		a, ca := describe(p.a[i])
		b, cb := describe(p.b[i])
		if !slices.Equal(a, wantA) || !slices.Equal(b, wantB) || ca == g.TransA || cb == g.TransB {
			t.Errorf("%s %s: operands %v and %v (contiguous %v, %v), want %v and %v, transposed views %v, %v",
				g.Kind, g.Pass, a, b, ca, cb, wantA, wantB, g.TransA, g.TransB)
		}
	}
	if ms, err := p.time(); err != nil || !(ms > 0) {
		t.Errorf("pass: %v ms, %v", ms, err)
	}
	for _, bad := range []GEMM{{Kind: "x", Pass: "forward", Batch: 1, M: 0, N: 4, K: 4, Weight: 1}, {Kind: "x", Pass: "forward", Batch: 1, M: 4, N: 4, K: 4}} {
		if p, err := newStepProducts(append(slices.Clone(gemms), bad), gotch.CPU); err == nil {
			p.Close()
			t.Errorf("%+v was accepted", bad)
		}
	}
}
