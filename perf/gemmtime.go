package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"runtime"
	"slices"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
)

// The roofline child: timing the products of GEMMWorkload in a process of its own.

// Timing of each product and dtype: a warm-up call (allocation, BLAS buffers, oneDNN's
// primitive), then gemmRounds rounds over all the products, each timing back-to-back calls for
// at least gemmMinTime/gemmRounds and gemmMinCalls; past gemmMaxTime/gemmRounds one call is
// enough (bf16 on a CPU without bf16 instructions can take seconds). A product's time is the
// lowest of its rounds' medians: on a shared VM a slow stretch (a neighbour's load) can last
// seconds, and spreading a product's calls over the whole measurement keeps such a stretch
// from setting its rate. Interference only slows a product down, so the fastest round is the
// closest to what the machine can do.
const (
	gemmMinTime  = 300 * time.Millisecond
	gemmMinCalls = 3
	gemmMaxTime  = 2 * time.Second
	gemmRounds   = 3
)

// RunGEMMs measures w's products in this process, float32 then bfloat16 for each. Like
// RunOurs it locks the calling goroutine to its OS thread, whose libtorch thread count it sets.
func RunGEMMs(w GEMMWorkload) (GEMMMeasurement, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dev, err := childDevice(w.Threads, w.Device)
	if err != nil {
		return GEMMMeasurement{}, fmt.Errorf("roofline %s: %w", w.Size, err)
	}
	minTime := gemmMinTime
	if w.MinTimeS > 0 {
		minTime = time.Duration(w.MinTimeS * float64(time.Second))
	}
	torchrt.ManualSeed(1)
	out := GEMMMeasurement{BLAS: splitBLAS(torchrt.BLAS()), BLASCore: torchrt.DescribeBLASCore().Core,
		Threads: torchrt.NumThreads(), Device: torchrt.DeviceString(dev)}
	dtypes := []gotch.DType{gotch.Float, gotch.BFloat16}
	if w.FP32Only {
		dtypes = dtypes[:1]
	}
	rates := make([]GEMMRate, len(w.GEMMs))
	for i, g := range w.GEMMs {
		if g.Batch < 1 || g.M < 1 || g.N < 1 || g.K < 1 {
			return GEMMMeasurement{}, fmt.Errorf("roofline %s: %s %s: empty shape %+v", w.Size, g.Kind, g.Pass, g)
		}
		rates[i].GEMM = g
	}
	for round := range gemmRounds {
		for i := range rates {
			r := &rates[i]
			for _, dt := range dtypes {
				ms, calls, err := timeGEMM(r.GEMM, dt, dev, minTime/gemmRounds, round == 0)
				if err != nil {
					return GEMMMeasurement{}, fmt.Errorf("roofline %s: %s %s %v: %w", w.Size, r.Kind, r.Pass, dt, err)
				}
				best, n := &r.FP32MS, &r.FP32Calls
				if dt == gotch.BFloat16 {
					best, n = &r.BF16MS, &r.BF16Calls
				}
				if *best == 0 || ms < *best {
					*best = ms
				}
				*n += calls
			}
		}
	}
	for i := range rates {
		r := &rates[i]
		r.FP32GFLOPS = float64(r.FLOPs()) / r.FP32MS / 1e6
		if r.BF16MS > 0 {
			r.BF16GFLOPS = float64(r.FLOPs()) / r.BF16MS / 1e6
		}
	}
	out.Rates = rates
	return out, nil
}

// mergeFaster takes, product by product, the faster float32 time of two measurements of the
// same products (bf16 stays a's): the second pass after a size's steps can only lower a time
// that a slow stretch of the first one raised.
func mergeFaster(a, b GEMMMeasurement) (GEMMMeasurement, error) {
	switch {
	case len(a.Rates) != len(b.Rates):
		return GEMMMeasurement{}, fmt.Errorf("roofline passes measured %d and %d products", len(a.Rates), len(b.Rates))
	case a.BLASCore != b.BLASCore || a.Threads != b.Threads || a.Device != b.Device || !slices.Equal(a.BLAS, b.BLAS):
		return GEMMMeasurement{}, fmt.Errorf("roofline passes ran different set-ups: %s %d threads on %s, then %s %d threads on %s",
			a.BLASCore, a.Threads, a.Device, b.BLASCore, b.Threads, b.Device)
	}
	out := a
	out.Rates = slices.Clone(a.Rates)
	for i := range out.Rates {
		r, o := &out.Rates[i], b.Rates[i]
		if keyOf(r.GEMM) != keyOf(o.GEMM) {
			return GEMMMeasurement{}, fmt.Errorf("roofline passes disagree on product %d: %+v and %+v", i, r.GEMM, o.GEMM)
		}
		if o.FP32MS > 0 && o.FP32MS < r.FP32MS {
			r.FP32MS, r.FP32GFLOPS = o.FP32MS, o.FP32GFLOPS
		}
		r.FP32Calls += o.FP32Calls
	}
	return out, nil
}

// operandShape is the storage shape of a rows×cols operand of batch products: cols×rows when
// it is passed as a transposed view (trans), with the batch in front when there is more than
// one product.
func operandShape(batch, rows, cols int64, trans bool) []int64 {
	shape := []int64{rows, cols}
	if trans {
		shape = []int64{cols, rows}
	}
	if batch > 1 {
		shape = append([]int64{batch}, shape...)
	}
	return shape
}

// timeGEMM returns the median time of one call of g in dtype dt on dev, in ms, and the
// number of calls timed, after a warm-up call when warm is set. Operands are random normal;
// the device is synchronised around each call, and the result is freed after the clock is
// read.
func timeGEMM(g GEMM, dt gotch.DType, dev gotch.Device, minTime time.Duration, warm bool) (float64, int, error) {
	var s tsx.Scope
	defer s.Drop()
	operand := func(rows, cols int64, trans bool) *ts.Tensor {
		shape := operandShape(g.Batch, rows, cols, trans)
		x := s.Do(func() (*ts.Tensor, error) { return ts.Randn(shape, gotch.Float, dev) })
		if dt != gotch.Float {
			x = s.Do(func() (*ts.Tensor, error) { return x.Totype(dt, false) })
		}
		if trans {
			x = s.Do(func() (*ts.Tensor, error) { return x.Transpose(-1, -2, false) })
		}
		return x
	}
	a := operand(g.M, g.K, g.TransA)
	b := operand(g.K, g.N, g.TransB)
	if err := s.Err(); err != nil {
		return 0, 0, err
	}
	call := func() (time.Duration, error) {
		torchrt.Synchronize(dev)
		t0 := time.Now()
		y, err := a.Matmul(b, false)
		torchrt.Synchronize(dev)
		d := time.Since(t0)
		tsx.Drop(y)
		return d, tsx.Err(err)
	}
	if warm {
		if _, err := call(); err != nil {
			return 0, 0, err
		}
	}
	var times []float64
	var total time.Duration
	for (total < minTime || len(times) < gemmMinCalls) && total < gemmMaxTime/gemmRounds {
		d, err := call()
		if err != nil {
			return 0, 0, err
		}
		total += d
		times = append(times, d.Seconds()*1000)
	}
	return median(times), len(times), nil
}

// GEMMs runs w in a child bench process.
func (r *Runner) GEMMs(ctx context.Context, w GEMMWorkload) (GEMMMeasurement, error) {
	b, err := json.Marshal(w)
	if err != nil {
		return GEMMMeasurement{}, err
	}
	var m GEMMMeasurement
	if err := r.runJSON(ctx, exec.CommandContext(ctx, r.Self, "perf", "--child", "gemm", string(b)), &m); err != nil {
		return GEMMMeasurement{}, err
	}
	if len(m.Rates) != len(w.GEMMs) {
		return GEMMMeasurement{}, fmt.Errorf("roofline %s: %d rates for %d products", w.Size, len(m.Rates), len(w.GEMMs))
	}
	return m, nil
}

// stepProducts times a step's matrix products in the process that runs the step, between its
// timed steps (Workload.GEMMs). The size's roofline child gives the machine's best rate, but
// on a shared VM whose speed drifts by a fifth within a minute, a step time and a product time
// taken minutes apart measure the drift as much as the step; a pass over the products right
// after each step, in the same process and stretch of load, gives the step's share of what its
// products alone would take at that moment (Measurement.GEMMMS over StepMS).
type stepProducts struct {
	shapes []GEMM // each distinct shape once, Weight the step's count of it
	a, b   []*ts.Tensor
	dev    gotch.Device
	s      tsx.Scope
}

// newStepProducts makes the operands of gemms' distinct shapes: views of two random buffers
// (transposed views where the step passes one), so that timing allocates only the results.
func newStepProducts(gemms []GEMM, dev gotch.Device) (*stepProducts, error) {
	p := &stepProducts{dev: dev}
	weights := map[shapeKey]int{}
	var na, nb int64
	for _, g := range gemms {
		if g.Batch < 1 || g.M < 1 || g.N < 1 || g.K < 1 || g.Weight < 1 {
			return nil, fmt.Errorf("step products: %s %s: empty shape or weight %+v", g.Kind, g.Pass, g)
		}
		k := keyOf(g)
		if _, ok := weights[k]; !ok {
			p.shapes = append(p.shapes, g)
		}
		weights[k] += g.Weight
		na, nb = max(na, g.Batch*g.M*g.K), max(nb, g.Batch*g.K*g.N)
	}
	bufA := p.s.Do(func() (*ts.Tensor, error) { return ts.Randn([]int64{na}, gotch.Float, dev) })
	bufB := p.s.Do(func() (*ts.Tensor, error) { return ts.Randn([]int64{nb}, gotch.Float, dev) })
	view := func(buf *ts.Tensor, batch, rows, cols int64, trans bool) *ts.Tensor {
		x := p.s.Do(func() (*ts.Tensor, error) { return buf.Narrow(0, 0, batch*rows*cols, false) })
		x = p.s.Do(func() (*ts.Tensor, error) { return x.View(operandShape(batch, rows, cols, trans), false) })
		if trans {
			x = p.s.Do(func() (*ts.Tensor, error) { return x.Transpose(-1, -2, false) })
		}
		return x
	}
	for i := range p.shapes {
		g := &p.shapes[i]
		g.Weight = weights[keyOf(*g)]
		p.a = append(p.a, view(bufA, g.Batch, g.M, g.K, g.TransA))
		p.b = append(p.b, view(bufB, g.Batch, g.K, g.N, g.TransB))
	}
	if err := p.s.Err(); err != nil {
		p.s.Drop()
		return nil, fmt.Errorf("step products: %w", err)
	}
	return p, nil
}

// besideCalls is how many calls of each shape a pass times; the pass takes their median, so
// that one call that a neighbour's burst of load slowed does not set the step's share.
const besideCalls = 3

// time runs each shape besideCalls times and returns the products' time as the step counts
// them, Σ weight × the median call's time, in ms; the device is synchronised around each call.
// Each shape runs only besideCalls times whatever its weight: a pass costs a few per cent of a
// BERT-base step, though about half a built-in one, whose products are many small ones.
func (p *stepProducts) time() (float64, error) {
	var ms float64
	times := make([]float64, besideCalls)
	for i, g := range p.shapes {
		for c := range times {
			torchrt.Synchronize(p.dev)
			t0 := time.Now()
			y, err := p.a[i].Matmul(p.b[i], false)
			torchrt.Synchronize(p.dev)
			times[c] = time.Since(t0).Seconds() * 1000
			tsx.Drop(y)
			if err != nil {
				return 0, fmt.Errorf("step products: %s %s: %w", g.Kind, g.Pass, tsx.Err(err))
			}
		}
		ms += float64(g.Weight) * median(times)
	}
	return ms, nil
}

// Close frees the operands.
func (p *stepProducts) Close() { p.s.Drop() }
