package perf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/clue-bench/clue-bench/internal/torchrt"
)

// Pair is one size × method measured on both sides, repetitions kept.
type Pair struct {
	Size      string        `json:"size"`
	Method    string        `json:"method"`
	Workload  Workload      `json:"workload"`
	Ours      []Measurement `json:"ours"`
	Reference []Measurement `json:"reference"`
	// OursBF16 is our side with the frozen backbone in bf16 (CompareOptions.BF16), for the
	// methods that freeze it.
	OursBF16 []Measurement `json:"ours_bf16,omitempty"`
	// StepFLOPs is the arithmetic of one training step of Workload, the same for both sides.
	StepFLOPs StepFLOPs   `json:"step_flops"`
	Summary   PairSummary `json:"summary"`
}

// PairSummary holds the medians over repetitions.
type PairSummary struct {
	OursStepsPerS float64            `json:"ours_steps_per_s"`
	RefStepsPerS  float64            `json:"reference_steps_per_s"`
	Ratio         float64            `json:"ratio"` // ours / reference
	OursCPUMS     float64            `json:"ours_cpu_ms"`
	RefCPUMS      float64            `json:"reference_cpu_ms"`
	OursRSSMiB    float64            `json:"ours_peak_rss_mib"`
	RefRSSMiB     float64            `json:"reference_peak_rss_mib"`
	OursPhaseMS   map[string]float64 `json:"ours_phase_ms"`
	RefPhaseMS    map[string]float64 `json:"reference_phase_ms"`
	// With OursBF16: its median steps/s and the final training losses of the first repetition
	// in float32 and in bf16 (same seed, batches and dropout masks, so they differ by rounding).
	BF16StepsPerS float64 `json:"bf16_steps_per_s,omitempty"`
	BF16Speedup   float64 `json:"bf16_speedup,omitempty"`
	FP32FinalLoss float64 `json:"fp32_final_loss,omitempty"`
	BF16FinalLoss float64 `json:"bf16_final_loss,omitempty"`
	// Median time of one step over every timed step of every repetition, and the step's FLOPs
	// (Pair.StepFLOPs) over it, in GFLOP/s.
	OursStepMS float64 `json:"ours_step_ms"`
	RefStepMS  float64 `json:"reference_step_ms"`
	OursGFLOPS float64 `json:"ours_gflops"`
	RefGFLOPS  float64 `json:"reference_gflops"`
	// Shares of the size's float32 roofline (Report.Roofline), when it was measured.
	OursRooflineShare float64 `json:"ours_roofline_share,omitempty"`
	RefRooflineShare  float64 `json:"reference_roofline_share,omitempty"`
	// StepRooflineGFLOPS is the float32 roofline at the step's own products
	// (Roofline.StepRate of StepFLOPs.GEMMs), and the sides' shares of it: what the step would
	// reach if it did nothing but its matrix products, each at the rate measured for its shape.
	StepRooflineGFLOPS    float64 `json:"step_roofline_gflops,omitempty"`
	OursStepRooflineShare float64 `json:"ours_step_roofline_share,omitempty"`
	RefStepRooflineShare  float64 `json:"reference_step_roofline_share,omitempty"`
	// OursPairedShare and RefPairedShare are the median over every timed step of every
	// repetition of GEMMMS/StepMS: the time the step's products take when timed alone right
	// after the step, in the same process, as a share of the step's time. It is the share of
	// the step's roofline with the roofline taken at the step's own moment, so that a machine
	// whose speed drifts (a shared VM) moves both sides of the ratio alike.
	OursPairedShare float64 `json:"ours_paired_share,omitempty"`
	RefPairedShare  float64 `json:"reference_paired_share,omitempty"`
}

// CompareOptions selects what Compare measures.
type CompareOptions struct {
	Sizes   []Size
	Methods []string
	Threads int
	// Device is where both sides train: "cpu" or "cuda[:N]".
	Device string
	// BF16 adds a third side: ours with the frozen backbone in bf16, for P-tuning v2 and
	// FL-tuning.
	BF16 bool
	// ProfileDir, when set, gets a CPU profile of our side's first repetition per workload.
	ProfileDir string
	Progress   io.Writer
}

// Compare measures every size × method on both sides. Repetitions alternate which side goes
// first (ABBA…), so that load that drifts during the run falls on both sides alike.
func Compare(ctx context.Context, r *Runner, o CompareOptions) ([]Pair, error) {
	var out []Pair
	for _, s := range o.Sizes {
		pairs := make([]Pair, len(o.Methods))
		for i, m := range o.Methods {
			w := s.Workload(m, o.Threads, o.Device)
			flops, err := CountStepFLOPs(w)
			if errors.Is(err, ErrNoFLOPCount) {
				flops, err = StepFLOPs{}, nil // measured without a roofline row
			}
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", s.Name, m, err)
			}
			// Both sides time the step's products after each of its steps (Measurement.GEMMMS).
			w.GEMMs = flops.GEMMs
			pairs[i] = Pair{Size: s.Name, Method: m, Workload: w, StepFLOPs: flops}
		}
		for rep := 0; rep < s.Reps; rep++ {
			for i := range pairs {
				p := &pairs[i]
				w := p.Workload
				if rep == 0 && o.ProfileDir != "" {
					w.CPUProfile = filepath.Join(o.ProfileDir, fmt.Sprintf("cpu-%s-%s.pprof", s.Name, p.Method))
					// A profile of the steps alone: the products timed beside them would be a
					// third of it at the built-in size. Both sides leave them out of this
					// repetition, so that their paired shares pool the same repetitions.
					w.GEMMs = nil
				}
				sides := []string{"ours", "reference"}
				if (rep+i)%2 == 1 {
					sides[0], sides[1] = sides[1], sides[0]
				}
				if o.BF16 && p.Method != "fine-tuning" {
					sides = append(sides, "ours-bf16")
				}
				for _, side := range sides {
					var m Measurement
					var err error
					switch side {
					case "ours":
						m, err = r.Ours(ctx, w)
					case "ours-bf16":
						wb := w
						// Its share is not reported: float32 products beside bf16 steps would say little.
						wb.BF16, wb.CPUProfile, wb.GEMMs = true, "", nil
						m, err = r.Ours(ctx, wb)
					default:
						m, err = r.Reference(ctx, w)
					}
					if err != nil {
						return nil, fmt.Errorf("%s/%s rep %d %s: %w", s.Name, p.Method, rep+1, side, err)
					}
					switch side {
					case "ours":
						p.Ours = append(p.Ours, m)
					case "ours-bf16":
						p.OursBF16 = append(p.OursBF16, m)
					default:
						p.Reference = append(p.Reference, m)
					}
					if o.Progress != nil {
						beside := ""
						if share := pairedShare([]Measurement{m}); share > 0 {
							beside = fmt.Sprintf("  products beside the steps %4.1f%%", 100*share)
						}
						fmt.Fprintf(o.Progress, "perf: %s/%s rep %d/%d %-9s %7.2f steps/s  %6.0f MiB%s\n",
							s.Name, p.Method, rep+1, s.Reps, side, m.StepsPerS, m.PeakRSSMiB, beside)
					}
				}
				if err := comparable(p.Ours[len(p.Ours)-1], p.Reference[len(p.Reference)-1]); err != nil {
					return nil, fmt.Errorf("%s/%s: %w", s.Name, p.Method, err)
				}
			}
		}
		for i := range pairs {
			pairs[i].Summary = summarise(pairs[i])
		}
		out = append(out, pairs...)
	}
	return out, nil
}

// IncomparableError says why two measurements cannot be compared.
type IncomparableError struct{ Reason string }

func (e *IncomparableError) Error() string { return "refusing to compare: " + e.Reason }

// comparable refuses measurements taken on different devices or with different BLAS
// libraries, OpenBLAS kernels or thread counts: a
// ratio between them would measure the setup, not the harness. It also checks that both
// sides trained the same number of parameters, i.e. built the same model.
func comparable(ours, ref Measurement) error {
	a, b := blasSet(ours.BLAS), blasSet(ref.BLAS)
	if !slices.Equal(a, b) {
		return &IncomparableError{fmt.Sprintf("different BLAS libraries: ours %s [%s], reference %s [%s]",
			strings.Join(a, ", "), torchrt.BLASKind(strings.Join(a, " ")), strings.Join(b, ", "), torchrt.BLASKind(strings.Join(b, " ")))}
	}
	if !strings.EqualFold(ours.BLASCore, ref.BLASCore) {
		return &IncomparableError{fmt.Sprintf("different OpenBLAS kernels: ours %q, reference %q", ours.BLASCore, ref.BLASCore)}
	}
	if ours.Device != ref.Device {
		return &IncomparableError{fmt.Sprintf("different devices: ours %s, reference %s", ours.Device, ref.Device)}
	}
	if ours.Threads != ref.Threads {
		return &IncomparableError{fmt.Sprintf("different thread counts: ours %d, reference %d", ours.Threads, ref.Threads)}
	}
	if ours.Trainable != ref.Trainable {
		return &IncomparableError{fmt.Sprintf("different models: ours trains %d parameters, reference %d", ours.Trainable, ref.Trainable)}
	}
	return nil
}

// blasSet is the sorted set of library paths, so that mapping order does not matter.
func blasSet(libs []string) []string {
	out := slices.Clone(libs)
	sort.Strings(out)
	return slices.Compact(out)
}

func summarise(p Pair) PairSummary {
	s := PairSummary{
		OursStepsPerS: median(field(p.Ours, func(m Measurement) float64 { return m.StepsPerS })),
		RefStepsPerS:  median(field(p.Reference, func(m Measurement) float64 { return m.StepsPerS })),
		OursCPUMS:     median(field(p.Ours, func(m Measurement) float64 { return m.CPUMS })),
		RefCPUMS:      median(field(p.Reference, func(m Measurement) float64 { return m.CPUMS })),
		OursRSSMiB:    median(field(p.Ours, func(m Measurement) float64 { return m.PeakRSSMiB })),
		RefRSSMiB:     median(field(p.Reference, func(m Measurement) float64 { return m.PeakRSSMiB })),
		OursPhaseMS:   phaseMedians(p.Ours),
		RefPhaseMS:    phaseMedians(p.Reference),
	}
	if s.RefStepsPerS > 0 {
		s.Ratio = s.OursStepsPerS / s.RefStepsPerS
	}
	s.OursStepMS, s.RefStepMS = median(stepTimes(p.Ours)), median(stepTimes(p.Reference))
	s.OursGFLOPS, s.RefGFLOPS = gflops(p.StepFLOPs.Total, s.OursStepMS), gflops(p.StepFLOPs.Total, s.RefStepMS)
	s.OursPairedShare, s.RefPairedShare = pairedShare(p.Ours), pairedShare(p.Reference)
	if len(p.OursBF16) > 0 && len(p.Ours) > 0 {
		s.BF16StepsPerS = median(field(p.OursBF16, func(m Measurement) float64 { return m.StepsPerS }))
		s.BF16Speedup = s.BF16StepsPerS / s.OursStepsPerS
		s.FP32FinalLoss, s.BF16FinalLoss = p.Ours[0].FinalLoss, p.OursBF16[0].FinalLoss
	}
	return s
}

func field(ms []Measurement, f func(Measurement) float64) []float64 {
	out := make([]float64, len(ms))
	for i, m := range ms {
		out[i] = f(m)
	}
	return out
}

// stepTimes pools the timed steps of every repetition.
func stepTimes(ms []Measurement) []float64 {
	var out []float64
	for _, m := range ms {
		out = append(out, m.StepMS...)
	}
	return out
}

// pairedShare is the median of GEMMMS/StepMS over every timed step of the repetitions that
// timed their products (not a profiled one); 0 when none did (an old result, a method
// without a FLOP count) or when one's product times do not match its steps.
func pairedShare(ms []Measurement) float64 {
	var shares []float64
	for _, m := range ms {
		if len(m.GEMMMS) == 0 {
			continue
		}
		if len(m.GEMMMS) != len(m.StepMS) {
			return 0
		}
		for i, t := range m.StepMS {
			if t > 0 {
				shares = append(shares, m.GEMMMS[i]/t)
			}
		}
	}
	return median(shares)
}

// gflops is flops per step over a step time in ms, in GFLOP/s (0 without a time).
func gflops(flops int64, stepMS float64) float64 {
	if stepMS <= 0 {
		return 0
	}
	return float64(flops) / stepMS / 1e6
}

func phaseMedians(ms []Measurement) map[string]float64 {
	out := map[string]float64{}
	for _, ph := range []string{"forward", "backward", "optimizer"} {
		out[ph] = median(field(ms, func(m Measurement) float64 { return m.PhaseMS[ph] }))
	}
	return out
}

// median of xs (0 for none); the mean of the middle two for an even count.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
