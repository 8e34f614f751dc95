package perf

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// GEMM is one matrix product a training step runs at a size's shapes: Batch independent
// (M×K)·(K×N) products.
type GEMM struct {
	// Kind is the product it belongs to: projection (Q, K, V and attention output, H→H),
	// ffn-in (H→I), ffn-out (I→H), scores (Q·Kᵀ per example and head) or context (probs·V).
	Kind string `json:"kind"`
	// Pass is forward, or which operand's gradient it computes in the backward: input and
	// weight for the linear layers, a and b (first and second operand) for attention.
	Pass  string `json:"pass"`
	Batch int64  `json:"batch"` // 1: a plain 2-D product, as a linear layer folds its rows
	M     int64  `json:"m"`
	N     int64  `json:"n"`
	K     int64  `json:"k"`
	// TransA and TransB mark an operand that autograd or the layer passes as a transposed view
	// (Wᵀ in a linear layer's forward, Xᵀ in its weight gradient): BLAS then reads it with a
	// transpose flag, which can change the kernel's speed.
	TransA bool `json:"trans_a,omitempty"`
	TransB bool `json:"trans_b,omitempty"`
	// Weight is how often one fine-tuning layer runs it: 4 for the projections, 1 otherwise.
	Weight int `json:"weight"`
}

// FLOPs of one call, 2·m·n·k per product.
func (g GEMM) FLOPs() int64 { return 2 * g.Batch * g.M * g.N * g.K }

// StepGEMMs lists the matrix products of one fine-tuning layer at s's shapes: forward and
// both gradients of each. Token rows are batch × seq; attention runs over seq keys. Their rate
// is the size's roofline, one number per size; a method's own roofline (Roofline.StepRate)
// times the products its step runs instead (a P-tuning v2 prefix lengthens the attention, and
// frozen weights have no gradient).
func StepGEMMs(s Size) []GEMM {
	c := s.Config
	rows, h, inter := int64(s.Batch*s.Seq), c.HiddenSize, c.IntermediateSize
	heads, seq := int64(s.Batch)*c.NumAttentionHeads, int64(s.Seq)
	d := h / c.NumAttentionHeads
	// linear is y = x·Wᵀ for x (rows×in), W (out×in); its gradients as autograd's mm backward
	// computes them: dx = dy·W and Wᵀ's gradient xᵀ·dy.
	linear := func(kind string, in, out int64, weight int) []GEMM {
		return []GEMM{
			{Kind: kind, Pass: "forward", Batch: 1, M: rows, N: out, K: in, TransB: true, Weight: weight},
			{Kind: kind, Pass: "input", Batch: 1, M: rows, N: in, K: out, Weight: weight},
			{Kind: kind, Pass: "weight", Batch: 1, M: in, N: out, K: rows, TransA: true, Weight: weight},
		}
	}
	out := linear("projection", h, h, 4)
	out = append(out, linear("ffn-in", h, inter, 1)...)
	out = append(out, linear("ffn-out", inter, h, 1)...)
	// scores = q·kᵀ (seq×d)·(d×seq): dq = ds·k, and kᵀ's gradient qᵀ·ds.
	// context = p·v (seq×seq)·(seq×d): dp = dc·vᵀ, dv = pᵀ·dc.
	out = append(out,
		GEMM{Kind: "scores", Pass: "forward", Batch: heads, M: seq, N: seq, K: d, TransB: true, Weight: 1},
		GEMM{Kind: "scores", Pass: "a", Batch: heads, M: seq, N: d, K: seq, Weight: 1},
		GEMM{Kind: "scores", Pass: "b", Batch: heads, M: d, N: seq, K: seq, TransA: true, Weight: 1},
		GEMM{Kind: "context", Pass: "forward", Batch: heads, M: seq, N: d, K: seq, Weight: 1},
		GEMM{Kind: "context", Pass: "a", Batch: heads, M: seq, N: seq, K: d, TransB: true, Weight: 1},
		GEMM{Kind: "context", Pass: "b", Batch: heads, M: seq, N: d, K: seq, TransA: true, Weight: 1},
	)
	return out
}

// GEMMKinds are the kinds of StepGEMMs, in report order.
var GEMMKinds = []string{"projection", "ffn-in", "ffn-out", "scores", "context"}

// GEMMWorkload is what the roofline child measures.
type GEMMWorkload struct {
	Size    string `json:"size"`
	GEMMs   []GEMM `json:"gemms"`
	Threads int    `json:"threads"`
	Device  string `json:"device,omitempty"`
	// MinTimeS is how long each product and dtype is timed at least (after a warm-up call),
	// split over gemmRounds rounds of back-to-back calls, at least gemmMinCalls in each round;
	// 0 means gemmMinTime.
	MinTimeS float64 `json:"min_time_s,omitempty"`
	// FP32Only skips the bf16 timings (the second pass after a size's steps needs float32 only).
	FP32Only bool `json:"fp32_only,omitempty"`
}

// GEMMRate is one product's measured speed in float32 and bfloat16.
type GEMMRate struct {
	GEMM
	// Median time of one call and the calls timed.
	FP32MS     float64 `json:"fp32_ms"`
	BF16MS     float64 `json:"bf16_ms"`
	FP32Calls  int     `json:"fp32_calls"`
	BF16Calls  int     `json:"bf16_calls"`
	FP32GFLOPS float64 `json:"fp32_gflops"`
	BF16GFLOPS float64 `json:"bf16_gflops"`
}

// GEMMMeasurement is what the roofline child reports.
type GEMMMeasurement struct {
	Rates    []GEMMRate `json:"rates"`
	BLAS     []string   `json:"blas"`
	BLASCore string     `json:"blas_core,omitempty"`
	Threads  int        `json:"threads"`
	Device   string     `json:"device"`
}

// Roofline is a size's sustained GEMM rate on this libtorch, BLAS, thread count and device.
type Roofline struct {
	Size         string   `json:"size"`
	Rows         int64    `json:"rows"` // batch × seq
	Hidden       int64    `json:"hidden"`
	Intermediate int64    `json:"intermediate"`
	Heads        int64    `json:"heads"`
	Seq          int64    `json:"seq"`
	Threads      int      `json:"threads"`
	Device       string   `json:"device"`
	BLAS         []string `json:"blas"`
	BLASCore     string   `json:"blas_core,omitempty"`
	// FP32GFLOPS and BF16GFLOPS are the rates of one fine-tuning layer's products: their FLOPs,
	// each counted Weight times, over the time the measured medians add up to.
	FP32GFLOPS float64    `json:"fp32_gflops"`
	BF16GFLOPS float64    `json:"bf16_gflops"`
	Rates      []GEMMRate `json:"rates"`
	// Products are the measured rates of every distinct product shape the size's steps run
	// (the methods' own, StepFLOPs.GEMMs, beside the fine-tuning layer's), for StepRate.
	Products []GEMMRate `json:"products,omitempty"`
}

// shapeKey is what a product's speed depends on: its shape and which operands are transposed
// views, not what it belongs to or how often it runs.
type shapeKey struct {
	batch, m, n, k int64
	transA, transB bool
}

func keyOf(g GEMM) shapeKey { return shapeKey{g.Batch, g.M, g.N, g.K, g.TransA, g.TransB} }

// distinctShapes lists each shape among the lists once (the first product with it), in order.
func distinctShapes(lists ...[]GEMM) []GEMM {
	seen := map[shapeKey]bool{}
	var out []GEMM
	for _, l := range lists {
		for _, g := range l {
			if k := keyOf(g); !seen[k] {
				seen[k] = true
				g.Weight = 1
				out = append(out, g)
			}
		}
	}
	return out
}

// StepRate is the roofline of one method's step at its own shapes: the FLOPs of gemms (a
// StepFLOPs.GEMMs), each counted Weight times, over the time their measured medians add up
// to, in GFLOP/s; 0 when a shape was not measured. Unlike the size's rate it weighs the
// products as the method runs them: P-tuning v2's attention over P+T keys, no weight
// gradients for frozen layers, FL-tuning's narrow branch products.
func (r Roofline) StepRate(gemms []GEMM, bf16 bool) float64 {
	times := map[shapeKey]float64{}
	for _, p := range r.Products {
		t := p.FP32MS
		if bf16 {
			t = p.BF16MS
		}
		times[keyOf(p.GEMM)] = t
	}
	var flops, ms float64
	for _, g := range gemms {
		t, ok := times[keyOf(g)]
		if !ok || t <= 0 {
			return 0
		}
		flops += float64(g.Weight) * float64(g.FLOPs())
		ms += float64(g.Weight) * t
	}
	if ms <= 0 {
		return 0
	}
	return flops / ms / 1e6
}

// Rate is the weighted rate over the products of a kind ("" for all), in GFLOP/s.
func (r Roofline) Rate(kind string, bf16 bool) float64 {
	var flops, ms float64
	for _, g := range r.Rates {
		if kind != "" && g.Kind != kind {
			continue
		}
		t := g.FP32MS
		if bf16 {
			t = g.BF16MS
		}
		flops += float64(g.Weight) * float64(g.FLOPs())
		ms += float64(g.Weight) * t
	}
	if ms <= 0 {
		return 0
	}
	return flops / ms / 1e6
}

// rooflineOf summarises the roofline child's measurement of s: m holds a rate for each of
// distinctShapes(StepGEMMs(s), …), and the fine-tuning layer's products take theirs by shape.
func rooflineOf(s Size, m GEMMMeasurement) (Roofline, error) {
	c := s.Config
	rl := Roofline{Size: s.Name, Rows: int64(s.Batch * s.Seq), Hidden: c.HiddenSize, Intermediate: c.IntermediateSize,
		Heads: c.NumAttentionHeads, Seq: int64(s.Seq), Threads: m.Threads, Device: m.Device, BLAS: m.BLAS,
		BLASCore: m.BLASCore, Products: m.Rates}
	byShape := map[shapeKey]GEMMRate{}
	for _, r := range m.Rates {
		byShape[keyOf(r.GEMM)] = r
	}
	for _, g := range StepGEMMs(s) {
		r, ok := byShape[keyOf(g)]
		if !ok {
			return Roofline{}, fmt.Errorf("roofline %s: %s %s was not measured", s.Name, g.Kind, g.Pass)
		}
		r.GEMM = g
		rl.Rates = append(rl.Rates, r)
	}
	rl.FP32GFLOPS, rl.BF16GFLOPS = rl.Rate("", false), rl.Rate("", true)
	return rl, nil
}

// sameSetup refuses a roofline taken under another BLAS, kernel, thread count or device
// than our side's step: a share of it would measure the difference.
func sameSetup(rl Roofline, ours Measurement) error {
	a, b := blasSet(rl.BLAS), blasSet(ours.BLAS)
	switch {
	case !slices.Equal(a, b):
		return &IncomparableError{fmt.Sprintf("the %s roofline ran with BLAS %s, our side with %s", rl.Size, strings.Join(a, ", "), strings.Join(b, ", "))}
	case !strings.EqualFold(rl.BLASCore, ours.BLASCore):
		return &IncomparableError{fmt.Sprintf("the %s roofline ran OpenBLAS kernel %q, our side %q", rl.Size, rl.BLASCore, ours.BLASCore)}
	case rl.Threads != ours.Threads:
		return &IncomparableError{fmt.Sprintf("the %s roofline ran %d threads, our side %d", rl.Size, rl.Threads, ours.Threads)}
	case rl.Device != ours.Device:
		return &IncomparableError{fmt.Sprintf("the %s roofline ran on %s, our side on %s", rl.Size, rl.Device, ours.Device)}
	}
	return nil
}

// MeasureThroughput measures, size by size, the roofline and then every method on both sides
// (Compare), so that each size's roofline is taken in the same stretch of machine load as its
// steps.
func MeasureThroughput(ctx context.Context, r *Runner, o CompareOptions) ([]Roofline, []Pair, error) {
	var rls []Roofline
	var pairs []Pair
	for _, s := range o.Sizes {
		lists := [][]GEMM{StepGEMMs(s)}
		for _, m := range o.Methods {
			f, err := CountStepFLOPs(s.Workload(m, o.Threads, o.Device))
			if err != nil && !errors.Is(err, ErrNoFLOPCount) {
				return nil, nil, fmt.Errorf("%s/%s: %w", s.Name, m, err)
			}
			lists = append(lists, f.GEMMs)
		}
		w := GEMMWorkload{Size: s.Name, GEMMs: distinctShapes(lists...), Threads: o.Threads, Device: o.Device}
		m, err := r.GEMMs(ctx, w)
		if err != nil {
			return nil, nil, fmt.Errorf("%s roofline: %w", s.Name, err)
		}
		rl, err := rooflineOf(s, m)
		if err != nil {
			return nil, nil, err
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "perf: %s roofline: float32 %.1f GFLOP/s, bf16 %.1f GFLOP/s (a fine-tuning layer's %d products; %d shapes timed)\n",
				s.Name, rl.FP32GFLOPS, rl.BF16GFLOPS, len(rl.Rates), len(rl.Products))
		}
		so := o
		so.Sizes = []Size{s}
		ps, err := Compare(ctx, r, so)
		if err != nil {
			return nil, nil, err
		}
		// Again after the steps, float32 only: a roofline taken in a slow stretch of a shared
		// machine would flatter every share of it, so each product keeps its faster pass.
		w.FP32Only = true
		m2, err := r.GEMMs(ctx, w)
		if err != nil {
			return nil, nil, fmt.Errorf("%s roofline after the steps: %w", s.Name, err)
		}
		if m, err = mergeFaster(m, m2); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		before := rl.FP32GFLOPS
		if rl, err = rooflineOf(s, m); err != nil {
			return nil, nil, err
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "perf: %s roofline again after the steps: float32 %.1f GFLOP/s, each product's faster pass (%.1f before)\n",
				s.Name, rl.FP32GFLOPS, before)
		}
		for _, p := range ps {
			if len(p.Ours) == 0 {
				continue
			}
			if err := sameSetup(rl, p.Ours[0]); err != nil {
				return nil, nil, err
			}
		}
		rls = append(rls, rl)
		pairs = append(pairs, ps...)
	}
	return rls, pairs, nil
}
