package perf

import (
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/internal/procfs"
	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/trainer"
)

// hostBatch is one batch of token ids as the runner holds it before upload.
type hostBatch struct {
	ids, types, labels []int64
}

// randomBatches makes n fixed-length batches of random tokens (never the padding id 0), all
// type 0, with random labels: the shapes matter for speed, the values do not. Rows of one
// length need no attention mask, and the classification kind's batches carry none then.
func randomBatches(w Workload, n int) []hostBatch {
	r := rand.New(rand.NewSource(w.Seed))
	out := make([]hostBatch, n)
	for i := range out {
		b := hostBatch{ids: make([]int64, w.Batch*w.Seq), types: make([]int64, w.Batch*w.Seq),
			labels: make([]int64, w.Batch)}
		for j := range b.ids {
			b.ids[j] = 1 + r.Int63n(w.Config.VocabSize-1)
		}
		for j := range b.labels {
			b.labels[j] = r.Int63n(w.Labels)
		}
		out[i] = b
	}
	return out
}

// newModel assembles our side of w through package trainer, as bench's runner does for a cell
// (random weights instead of a checkpoint, a classification task with w.Labels labels).
func newModel(w Workload, dev gotch.Device) (*trainer.Model, error) {
	method, err := methods.FromSettings(w.Method, w.Options)
	if err != nil {
		return nil, err
	}
	kind, err := heads.Lookup(clue.Classification)
	if err != nil {
		return nil, err
	}
	task := &clue.Task{Name: "perf", Kind: clue.Classification, Labels: make([]string, w.Labels)}
	m, err := trainer.New(trainer.Spec{Config: w.Config, Method: method, Kind: kind, Task: task,
		Head: heads.Options{MaxLen: w.Seq, Dropout: w.HeadDropout}, Device: dev, Seed: w.Seed, WeightDecay: w.WeightDecay})
	if err != nil {
		return nil, err
	}
	m.Encoder.SetFrozenBF16(w.BF16)
	return m, nil
}

// upload turns a host batch into device tensors the way the classification kind's batches
// are made; the step drops them.
func upload(b hostBatch, bsz, seq int, dev gotch.Device) (*heads.Batch, error) {
	shape := []int64{int64(bsz), int64(seq)}
	mk := func(data []int64, shape []int64) (*ts.Tensor, error) {
		x, err := ts.OfSlice(data, ts.WithDType(gotch.Int64))
		if err != nil {
			return nil, err
		}
		y, err := x.Reshape(shape, true)
		if err != nil || dev == gotch.CPU {
			return y, err
		}
		return y.ToDevice(dev, gotch.Int64, true, false, true)
	}
	out := &heads.Batch{Units: bsz, Tokens: bsz * seq}
	var err error
	if out.In.InputIDs, err = mk(b.ids, shape); err == nil {
		if out.In.TypeIDs, err = mk(b.types, shape); err == nil {
			out.Target, err = mk(b.labels, []int64{int64(bsz)})
		}
	}
	if err != nil {
		tsx.Drop(out.In.InputIDs, out.In.TypeIDs, out.Target)
		return nil, fmt.Errorf("upload batch: %w", tsx.Err(err))
	}
	return out, nil
}

// step runs one optimiser step the way bench's training loop does with accumulation 1:
// upload, forward, loss (read back to the host), backward, clipping, AdamW, zeroing.
func step(m *trainer.Model, w Workload, dev gotch.Device, b hostBatch, lr float64, ph *trainer.Phases) (float64, error) {
	losses, err := m.Step(1, 1, func(int) (*heads.Batch, error) {
		return upload(b, w.Batch, w.Seq, dev)
	}, lr, w.Clip, ph)
	if err != nil {
		return 0, err
	}
	return losses[0], nil
}

// RunOurs measures our side of w in this process. It locks the calling goroutine to its OS
// thread: libtorch's grad mode and thread count belong to the thread.
func RunOurs(w Workload) (Measurement, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if w.Steps < 1 || w.Batch < 1 || w.Seq < 1 || w.Labels < 2 {
		return Measurement{}, fmt.Errorf("workload %s/%s: steps, batch and seq must be positive and labels at least 2", w.Size, w.Method)
	}
	dev, err := childDevice(w.Threads, w.Device)
	if err != nil {
		return Measurement{}, fmt.Errorf("workload %s/%s: %w", w.Size, w.Method, err)
	}
	// Grad mode is per thread and a fresh thread may not have it on; training needs it.
	libtch.AtGradSetEnabled(1)
	setupStart := time.Now()
	m, err := newModel(w, dev)
	if err != nil {
		return Measurement{}, fmt.Errorf("workload %s/%s: %w", w.Size, w.Method, err)
	}
	defer m.Close()
	batches := randomBatches(w, 4)
	setup := time.Since(setupStart)

	var prods *stepProducts
	if len(w.GEMMs) > 0 {
		if prods, err = newStepProducts(w.GEMMs, dev); err != nil {
			return Measurement{}, fmt.Errorf("workload %s/%s: %w", w.Size, w.Method, err)
		}
		defer prods.Close()
		if w.Warmup == 0 { // no warm-up step to follow: a pass of its own
			if _, err := prods.time(); err != nil {
				return Measurement{}, fmt.Errorf("workload %s/%s: %w", w.Size, w.Method, err)
			}
		}
	}

	total := w.Warmup + w.Steps
	var ph, discard trainer.Phases
	stepMS := make([]float64, 0, w.Steps)
	var gemmMS []float64
	var run, cpu0, cpuProds time.Duration
	var loss float64
	for i := 0; i < total; i++ {
		if i == w.Warmup {
			cpu0 = cpuTime()
		}
		if i == w.Warmup && w.CPUProfile != "" {
			stop, err := startProfile(w.CPUProfile)
			if err != nil {
				return Measurement{}, err
			}
			defer stop()
		}
		timed := i >= w.Warmup
		acc := &ph
		if !timed {
			acc = &discard
		}
		t0 := time.Now()
		lr := w.LR * (1 - float64(i)/float64(total))
		if loss, err = step(m, w, dev, batches[i%len(batches)], lr, acc); err != nil {
			return Measurement{}, fmt.Errorf("workload %s/%s step %d: %w", w.Size, w.Method, i+1, err)
		}
		if timed {
			d := time.Since(t0)
			run += d
			stepMS = append(stepMS, float64(d.Microseconds())/1000)
		}
		// The products after every step, the last warm-up one included: their first calls
		// allocate and fault in pages for the results, which the steps' times must not see
		// either. Their CPU time is left out of the steps'.
		if prods != nil && i >= w.Warmup-1 {
			c0 := cpuTime()
			ms, err := prods.time()
			if err != nil {
				return Measurement{}, fmt.Errorf("workload %s/%s after step %d: %w", w.Size, w.Method, i+1, err)
			}
			if timed {
				gemmMS = append(gemmMS, ms)
				cpuProds += cpuTime() - c0
			}
		}
	}
	cpu := cpuTime() - cpu0 - cpuProds
	trainable, err := m.TrainableElements()
	if err != nil {
		return Measurement{}, fmt.Errorf("workload %s/%s: %w", w.Size, w.Method, err)
	}
	peak, _ := procfs.StatusKB(0, "VmHWM") // 0 where /proc cannot tell: reported, never acted on
	n := float64(w.Steps)
	ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / n }
	side := "ours"
	if w.BF16 {
		side = "ours-bf16"
	}
	return Measurement{
		Side: side, Steps: w.Steps, StepsPerS: n / run.Seconds(), StepMS: stepMS, GEMMMS: gemmMS,
		PhaseMS:    map[string]float64{"forward": ms(ph.Forward), "backward": ms(ph.Backward), "optimizer": ms(ph.Optimizer)},
		CPUMS:      ms(cpu),
		SetupS:     setup.Seconds(),
		PeakRSSMiB: peak / 1024,
		FinalLoss:  loss,
		Trainable:  trainable,
		BLAS:       splitBLAS(torchrt.BLAS()),
		BLASCore:   torchrt.DescribeBLASCore().Core,
		Threads:    torchrt.NumThreads(),
		Version:    "libtorch " + libtch.PreparedLibtorchVersion + " via gotch",
		Device:     torchrt.DeviceString(dev),
	}, nil
}

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "cpu profile %s: %v\n", path, err)
		}
	}, nil
}

// splitBLAS turns torchrt.BLAS's description into the list of library paths; a description
// that names no path (BLAS inside libtorch) stays one entry.
func splitBLAS(desc string) []string {
	if !strings.HasPrefix(desc, "/") {
		return []string{desc}
	}
	return strings.Split(desc, ", ")
}

// cpuTime is the CPU time this process has used, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childDevice sets a measuring child's libtorch thread count (0 = leave it) on the calling OS
// thread and parses its device ("" = the CPU).
func childDevice(threads int, spec string) (gotch.Device, error) {
	if threads > 0 {
		torchrt.SetNumThreads(threads)
	}
	if spec == "" {
		spec = "cpu"
	}
	return torchrt.ParseDevice(spec)
}
