package perf

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/internal/procfs"
	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/optim"
)

// hostBatch is one batch of token ids as the runner holds it before upload.
type hostBatch struct {
	ids, types, mask, labels []int64
}

// randomBatches makes n fixed-length batches of random tokens (never the padding id 0), all
// type 0 and unmasked, with random labels: the shapes matter for speed, the values do not.
func randomBatches(w Workload, n int) []hostBatch {
	r := rand.New(rand.NewSource(w.Seed))
	out := make([]hostBatch, n)
	for i := range out {
		b := hostBatch{ids: make([]int64, w.Batch*w.Seq), types: make([]int64, w.Batch*w.Seq),
			mask: make([]int64, w.Batch*w.Seq), labels: make([]int64, w.Batch)}
		for j := range b.ids {
			b.ids[j] = 1 + r.Int63n(w.Config.VocabSize-1)
			b.mask[j] = 1
		}
		for j := range b.labels {
			b.labels[j] = r.Int63n(w.Labels)
		}
		out[i] = b
	}
	return out
}

// trainer is our side of a workload: the objects bench's runner builds for a cell.
type trainer struct {
	w      Workload
	dev    gotch.Device
	vs     *nn.VarStore
	enc    *model.Encoder
	head   *heads.Classifier
	opt    *optim.AdamW
	params []optim.Param
}

// newTrainer builds the encoder, attaches the method, adds the head, marks what trains and
// creates the optimiser, as bench's trainCell does (random weights instead of a checkpoint).
func newTrainer(w Workload, dev gotch.Device) (*trainer, error) {
	m, err := methods.FromSettings(w.Method, w.Options)
	if err != nil {
		return nil, err
	}
	t := &trainer{w: w, dev: dev, vs: nn.NewVarStore(dev)}
	if t.enc, err = model.NewEncoder(t.vs.Root().Sub("bert"), w.Config); err != nil {
		t.close()
		return nil, err
	}
	if err := m.Attach(t.vs.Root().Sub(m.Name()), t.enc); err != nil {
		t.close()
		return nil, fmt.Errorf("attach %s: %w", m.Name(), err)
	}
	if t.head, err = heads.NewClassifier(t.vs.Root().Sub("classifier"), w.Config.HiddenSize, w.Labels, false, w.HeadDropout); err != nil {
		t.close()
		return nil, err
	}
	trainable, _, err := model.SetTrainable(t.vs, func(name string) bool {
		return strings.HasPrefix(name, heads.ClassifierPrefix) || m.Trains(name)
	})
	if err != nil {
		t.close()
		return nil, err
	}
	vars := t.vs.Variables()
	for _, name := range trainable {
		v := vars[name]
		// Same decay rule as the runner: none on biases and LayerNorm parameters.
		decay := !(strings.HasSuffix(name, ".bias") || strings.Contains(name, "LayerNorm"))
		t.params = append(t.params, optim.Param{Name: name, Tensor: &v, Decay: decay})
	}
	t.opt = optim.NewAdamW(t.params, w.WeightDecay)
	t.enc.SetFrozenBF16(w.BF16)
	return t, nil
}

func (t *trainer) close() {
	if t.enc != nil {
		t.enc.SetFrozenBF16(false) // frees the bf16 copies
	}
	if t.opt != nil {
		t.opt.Close()
	}
	t.vs.Destroy()
}

func (t *trainer) trainable() int64 {
	var n int64
	for _, p := range t.params {
		k := int64(1)
		for _, d := range p.Tensor.MustSize() {
			k *= d
		}
		n += k
	}
	return n
}

// upload turns a host batch into device tensors the way bench's makeBatch does.
func upload(b hostBatch, bsz, seq int, dev gotch.Device) (model.Batch, *ts.Tensor, error) {
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
	var in model.Batch
	var labels *ts.Tensor
	var err error
	if in.InputIDs, err = mk(b.ids, shape); err == nil {
		if in.TypeIDs, err = mk(b.types, shape); err == nil {
			if in.Mask, err = mk(b.mask, shape); err == nil {
				labels, err = mk(b.labels, []int64{int64(bsz)})
			}
		}
	}
	if err != nil {
		dropTensors(in.InputIDs, in.TypeIDs, in.Mask, labels)
		return model.Batch{}, nil, fmt.Errorf("upload batch: %w", err)
	}
	return in, labels, nil
}

func dropTensors(xs ...*ts.Tensor) {
	for _, x := range xs {
		if x != nil {
			x.MustDrop()
		}
	}
}

// phaseTimes accumulates the time spent in each part of a step.
type phaseTimes struct{ forward, backward, optimizer time.Duration }

// step runs one optimiser step the way bench's training loop does with accumulation 1:
// upload, forward, loss (read back to the host), backward, clipping, AdamW, zeroing.
func (t *trainer) step(b hostBatch, lr float64, ph *phaseTimes) (float64, error) {
	t0 := time.Now()
	in, labels, err := upload(b, t.w.Batch, t.w.Seq, t.dev)
	if err != nil {
		return 0, err
	}
	defer dropTensors(in.InputIDs, in.TypeIDs, in.Mask, labels)
	out, err := t.enc.Forward(in, true)
	if err != nil {
		return 0, err
	}
	logits, err := t.head.Forward(out, true)
	dropTensors(out.Hidden, out.Pooled)
	if err != nil {
		return 0, err
	}
	defer logits.MustDrop()
	weight := ts.NewTensor() // undefined: no class weights
	defer weight.MustDrop()
	loss, err := logits.CrossEntropyLoss(labels, weight, 1, -100, 0, false) // mean
	if err != nil {
		return 0, err
	}
	defer loss.MustDrop()
	v, err := loss.Float64Value([]int64{})
	if err != nil {
		return 0, err
	}
	t1 := time.Now()
	if err := loss.Backward(); err != nil {
		return 0, err
	}
	torchrt.Synchronize(t.dev) // the loss read-back above already waited for the forward
	t2 := time.Now()
	if t.w.Clip > 0 {
		if _, err := optim.ClipGradNorm(t.params, t.w.Clip); err != nil {
			return 0, err
		}
	}
	if err := t.opt.Step(lr); err != nil {
		return 0, err
	}
	if err := t.opt.ZeroGrad(); err != nil {
		return 0, err
	}
	torchrt.Synchronize(t.dev)
	t3 := time.Now()
	ph.forward += t1.Sub(t0)
	ph.backward += t2.Sub(t1)
	ph.optimizer += t3.Sub(t2)
	return v, nil
}

// RunOurs measures our side of w in this process. It locks the calling goroutine to its OS
// thread: libtorch's grad mode and thread count belong to the thread.
func RunOurs(w Workload) (Measurement, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if w.Steps < 1 || w.Batch < 1 || w.Seq < 1 || w.Labels < 2 {
		return Measurement{}, fmt.Errorf("workload %s/%s: steps, batch and seq must be positive and labels at least 2", w.Size, w.Method)
	}
	if w.Threads > 0 {
		torchrt.SetNumThreads(w.Threads)
	}
	spec := w.Device
	if spec == "" {
		spec = "cpu"
	}
	dev, err := torchrt.ParseDevice(spec)
	if err != nil {
		return Measurement{}, fmt.Errorf("workload %s/%s: %w", w.Size, w.Method, err)
	}
	torchrt.ManualSeed(w.Seed)
	// Grad mode is per thread and a fresh thread may not have it on; training needs it.
	libtch.AtGradSetEnabled(1)
	setupStart := time.Now()
	t, err := newTrainer(w, dev)
	if err != nil {
		return Measurement{}, fmt.Errorf("workload %s/%s: %w", w.Size, w.Method, err)
	}
	defer t.close()
	batches := randomBatches(w, 4)
	setup := time.Since(setupStart)

	total := w.Warmup + w.Steps
	var ph, discard phaseTimes
	stepMS := make([]float64, 0, w.Steps)
	var run, cpu0 time.Duration
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
		if loss, err = t.step(batches[i%len(batches)], lr, acc); err != nil {
			return Measurement{}, fmt.Errorf("workload %s/%s step %d: %w", w.Size, w.Method, i+1, err)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return Measurement{}, fmt.Errorf("workload %s/%s step %d: loss is %v", w.Size, w.Method, i+1, loss)
		}
		if timed {
			d := time.Since(t0)
			run += d
			stepMS = append(stepMS, float64(d.Microseconds())/1000)
		}
	}
	cpu := cpuTime() - cpu0
	peak, _ := procfs.StatusKB(0, "VmHWM") // 0 where /proc cannot tell: reported, never acted on
	n := float64(w.Steps)
	ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / n }
	side := "ours"
	if w.BF16 {
		side = "ours-bf16"
	}
	return Measurement{
		Side: side, Steps: w.Steps, StepsPerS: n / run.Seconds(), StepMS: stepMS,
		PhaseMS:    map[string]float64{"forward": ms(ph.forward), "backward": ms(ph.backward), "optimizer": ms(ph.optimizer)},
		CPUMS:      ms(cpu),
		SetupS:     setup.Seconds(),
		PeakRSSMiB: peak / 1024,
		FinalLoss:  loss,
		Trainable:  t.trainable(),
		BLAS:       splitBLAS(torchrt.BLAS()),
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
