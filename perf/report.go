package perf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"

	"github.com/clue-bench/clue-bench/internal/atomicfile"
	"github.com/clue-bench/clue-bench/internal/torchrt"
)

// Targets.
const (
	// TargetRatio: our steps/s at least 1.2× the reference's, per method and size.
	TargetRatio = 1.2
	// TargetTunedShare: P-tuning v2's and FL-tuning's step time at most 0.75× fine-tuning's.
	TargetTunedShare = 0.75
	// TargetOverhead: at most 3% of bench run's wall time outside the training steps and
	// the evaluations the config asks for (Overhead's RunnerShare).
	TargetOverhead = 0.03
	// TargetRooflineShare: our steps at BERT-base shapes (size RooflineTargetSize) reach at
	// least 60% of the float32 roofline at the step's own products (PairSummary's
	// StepRooflineGFLOPS), per method.
	TargetRooflineShare = 0.6
	// RooflineTargetSize is the size that TargetRooflineShare applies to.
	RooflineTargetSize = "base"
)

// Machine describes where the numbers were taken.
type Machine struct {
	// Device is where the throughput sides trained ("cpu" or "cuda:N"); GPU names it.
	Device  string `json:"device"`
	GPU     string `json:"gpu,omitempty"`
	CPU     string `json:"cpu"`
	Cores   int    `json:"cores"`
	Threads int    `json:"threads"`
	// WaitPolicy is the OMP_WAIT_POLICY both sides ran with ("" = inherited).
	WaitPolicy string `json:"omp_wait_policy"`
	BLAS       string `json:"blas"`
	// BLASCore is OpenBLAS's kernel in this process and why it runs; the children inherit the
	// environment that chose it.
	BLASCore torchrt.BLASCore `json:"blas_core"`
	Libtorch string           `json:"libtorch"`
	Go       string           `json:"go"`
	Load1    float64          `json:"load1_start"` // 1-minute load average before and after: the
	Load1End float64          `json:"load1_end"`   // machine may be shared, and this says how busy it was
	Started  string           `json:"started"`
	Finished string           `json:"finished"`
}

// Target is one goal with the measured value and whether it was met.
type Target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Pass  bool    `json:"pass"`
	// Check marks a correctness check (memory flatness) rather than a speed goal: failing it
	// fails bench perf even without --strict.
	Check bool `json:"check,omitempty"`
}

// Report is everything bench perf measured.
type Report struct {
	Machine    Machine `json:"machine"`
	Throughput []Pair  `json:"throughput,omitempty"`
	// Roofline is each throughput size's GEMM rate (roofline.go).
	Roofline []Roofline `json:"roofline,omitempty"`
	Overhead *Overhead  `json:"overhead,omitempty"`
	Memory   *Memory    `json:"memory,omitempty"`
	Targets  []Target   `json:"targets"`
}

// NewReport starts a report on this machine for a device, thread count and OpenMP wait policy.
func NewReport(device gotch.Device, threads int, waitPolicy string) *Report {
	gpu := ""
	if device.IsCuda() {
		gpu = torchrt.DeviceName(device)
	}
	return &Report{Machine: Machine{Device: torchrt.DeviceString(device), GPU: gpu, CPU: torchrt.DeviceName(gotch.CPU),
		Cores: runtime.NumCPU(), Threads: threads, WaitPolicy: waitPolicy,
		BLAS: torchrt.BLAS(), BLASCore: torchrt.DescribeBLASCore(), Libtorch: libtch.PreparedLibtorchVersion, Go: runtime.Version(),
		Load1: load1(), Started: time.Now().Format(time.RFC3339)}}
}

// Finish records the end of the run and evaluates the targets.
func (r *Report) Finish(end time.Time) {
	r.Machine.Finished = end.Format(time.RFC3339)
	r.Machine.Load1End = load1()
	r.evaluate()
}

// evaluate fills in the pairs' shares of their size's roofline and of their step's, and the
// targets.
func (r *Report) evaluate() {
	for i := range r.Throughput {
		p := &r.Throughput[i]
		rl := r.roofline(p.Size)
		if rl == nil {
			continue
		}
		if rl.FP32GFLOPS > 0 {
			p.Summary.OursRooflineShare = p.Summary.OursGFLOPS / rl.FP32GFLOPS
			p.Summary.RefRooflineShare = p.Summary.RefGFLOPS / rl.FP32GFLOPS
		}
		if g := rl.StepRate(p.StepFLOPs.GEMMs, false); g > 0 {
			p.Summary.StepRooflineGFLOPS = g
			p.Summary.OursStepRooflineShare = p.Summary.OursGFLOPS / g
			p.Summary.RefStepRooflineShare = p.Summary.RefGFLOPS / g
		}
	}
	r.Targets = r.targets()
}

// roofline returns the size's roofline, or nil.
func (r *Report) roofline(size string) *Roofline {
	for i := range r.Roofline {
		if r.Roofline[i].Size == size {
			return &r.Roofline[i]
		}
	}
	return nil
}

func (r *Report) targets() []Target {
	var ts []Target
	bySize := map[string]map[string]PairSummary{}
	var sizes []string
	for _, p := range r.Throughput {
		ts = append(ts, Target{Name: fmt.Sprintf("%s %s: ours/reference steps/s ≥ %.2f", p.Size, p.Method, TargetRatio),
			Value: p.Summary.Ratio, Limit: TargetRatio, Pass: p.Summary.Ratio >= TargetRatio})
		if bySize[p.Size] == nil {
			bySize[p.Size] = map[string]PairSummary{}
			sizes = append(sizes, p.Size)
		}
		bySize[p.Size][p.Method] = p.Summary
	}
	for _, s := range sizes {
		ft, ok := bySize[s]["fine-tuning"]
		if !ok || ft.OursStepsPerS == 0 {
			continue
		}
		for _, m := range []string{"p-tuning-v2", "fl-tuning"} {
			if x, ok := bySize[s][m]; ok && x.OursStepsPerS > 0 {
				share := ft.OursStepsPerS / x.OursStepsPerS // step time relative to fine-tuning
				ts = append(ts, Target{Name: fmt.Sprintf("%s %s: step time / fine-tuning's ≤ %.2f", s, m, TargetTunedShare),
					Value: share, Limit: TargetTunedShare, Pass: share <= TargetTunedShare})
			}
		}
	}
	// The same FLOPs on both sides, so a share at least the reference's is a step at least as
	// fast; printed against the machine's rate all the same.
	for _, p := range r.Throughput {
		s := p.Summary
		if s.OursRooflineShare > 0 {
			ts = append(ts, Target{Name: fmt.Sprintf("%s %s: share of the fp32 roofline ≥ the reference's (%.1f%%)", p.Size, p.Method, 100*s.RefRooflineShare),
				Value: s.OursRooflineShare, Limit: s.RefRooflineShare, Pass: s.OursRooflineShare >= s.RefRooflineShare})
		}
		if p.Size == RooflineTargetSize {
			if name, v := rooflineTarget(s); v > 0 {
				ts = append(ts, Target{Name: fmt.Sprintf("%s %s: %s ≥ %.0f%%", p.Size, p.Method, name, 100*TargetRooflineShare),
					Value: v, Limit: TargetRooflineShare, Pass: v >= TargetRooflineShare})
			}
		}
	}
	if r.Overhead != nil {
		v := r.Overhead.Total.RunnerShare
		ts = append(ts, Target{Name: fmt.Sprintf("bench run time outside training steps and evaluations ≤ %.0f%%", 100*TargetOverhead),
			Value: v, Limit: TargetOverhead, Pass: v <= TargetOverhead})
	}
	if r.Memory != nil {
		for _, c := range r.Memory.Cells {
			ts = append(ts, Target{Name: fmt.Sprintf("%s: RSS within ±%.0f%% over %d steps", c.Cell, 100*r.Memory.Tolerance, r.Memory.Steps),
				Value: c.MaxDev, Limit: r.Memory.Tolerance, Pass: c.Flat, Check: true})
		}
	}
	return ts
}

// rooflineTarget is what TargetRooflineShare judges: the paired share (the step's products
// timed beside each step, PairSummary.OursPairedShare) where the steps were measured with it,
// else the share of the step's roofline from the size's roofline child (a run without product
// times); 0 when neither was measured. The paired share is the one judged because on a shared
// VM the roofline child's best pass and the steps' median fall in different stretches of load:
// between runs of the same code the second share of a base row has moved between 51% and 78%.
func rooflineTarget(s PairSummary) (string, float64) {
	if s.OursPairedShare > 0 {
		return "share of the step's time its products take timed beside it", s.OursPairedShare
	}
	return "share of the fp32 roofline at the step's products", s.OursStepRooflineShare
}

// Write stores results.json and results.md in dir.
func (r *Report) Write(dir, markdown string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("perf report: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, "results.json"), append(b, '\n')); err != nil {
		return fmt.Errorf("perf report: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, "results.md"), []byte(markdown)); err != nil {
		return fmt.Errorf("perf report: %w", err)
	}
	return nil
}

// load1 is the 1-minute load average (0 if unknown).
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var x float64
	_, _ = fmt.Sscanf(string(b), "%f", &x)
	return x
}
