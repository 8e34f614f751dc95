package perf

import (
	"fmt"
	"sort"
	"strings"

	"github.com/clue-bench/clue-bench/builtin"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
)

// Workload is one throughput measurement: a model size, a method and a fixed batch shape.
// Its JSON form is what both sides receive (reference.py reads the same field names).
type Workload struct {
	Size        string       `json:"size"`
	Method      string       `json:"method"`
	Options     []string     `json:"options,omitempty"` // method options as key=value
	Config      model.Config `json:"config"`
	Labels      int64        `json:"labels"`
	Batch       int          `json:"batch"`
	Seq         int          `json:"seq"`
	Warmup      int          `json:"warmup"` // untimed steps first (allocator, BLAS buffers)
	Steps       int          `json:"steps"`  // timed steps
	Threads     int          `json:"threads"`
	LR          float64      `json:"lr"`
	WeightDecay float64      `json:"weight_decay"`
	Clip        float64      `json:"clip"`
	HeadDropout float64      `json:"head_dropout"`
	Seed        int64        `json:"seed"`
	// Device is where both sides train: "cpu" (or empty) or "cuda[:N]". On CUDA both sides
	// synchronise the device before every clock read.
	Device string `json:"device,omitempty"`
	// BF16 runs our frozen backbone's matrix products in bfloat16 (model.Encoder.SetFrozenBF16);
	// the reference never does.
	BF16 bool `json:"bf16,omitempty"`
	// CPUProfile, when set, makes our side write a pprof CPU profile of its timed steps there.
	CPUProfile string `json:"cpu_profile,omitempty"`
	// GEMMs, when set, are the step's matrix products (StepFLOPs.GEMMs): each side then times
	// them once after every timed step, in its own process, into Measurement.GEMMMS.
	GEMMs []GEMM `json:"gemms,omitempty"`
}

// Measurement is what one side reports for one workload run.
type Measurement struct {
	Side      string    `json:"side"` // "ours" or "reference"
	Steps     int       `json:"steps"`
	StepsPerS float64   `json:"steps_per_s"`
	StepMS    []float64 `json:"step_ms"`
	// GEMMMS, with Workload.GEMMs, is the time of the step's products timed right after each
	// timed step (one call per distinct shape, weighted by the step's count of it), in ms:
	// GEMMMS[i]/StepMS[i] is step i's share of its products' rate at that moment.
	GEMMMS  []float64          `json:"gemm_ms,omitempty"`
	PhaseMS map[string]float64 `json:"phase_ms"` // mean per timed step: forward, backward, optimizer
	// CPUMS is the process's CPU time (user + system, all threads) per timed step: less
	// sensitive than wall time to other load on a shared machine, though spinning OpenMP and
	// OpenBLAS threads count too.
	CPUMS      float64  `json:"cpu_ms"`
	SetupS     float64  `json:"setup_s"`
	PeakRSSMiB float64  `json:"peak_rss_mib"`
	FinalLoss  float64  `json:"final_loss"`
	Trainable  int64    `json:"trainable"`
	BLAS       []string `json:"blas"`                // resolved paths of the BLAS libraries mapped
	BLASCore   string   `json:"blas_core,omitempty"` // OpenBLAS's kernel ("" without OpenBLAS)
	Threads    int      `json:"threads"`
	Version    string   `json:"version"`
	Device     string   `json:"device"` // "cpu" or "cuda:N"
}

// Size is a model size to measure, with the batch shape and the repetitions it gets.
type Size struct {
	Name    string
	Config  model.Config
	Batch   int
	Seq     int
	Warmup  int
	Steps   int
	Reps    int
	Options map[string][]string // per method
	LR      map[string]float64  // per method; does not change the speed, kept realistic
}

// Methods are the methods bench perf can measure: every registered one, in name order.
var Methods = methods.Names()

// DefaultMethods are the methods measured unless told otherwise (--methods), in report order:
// the paper's three, so that the default run keeps its length.
var DefaultMethods = []string{"fine-tuning", "p-tuning-v2", "fl-tuning"}

// DefaultSizes are the sizes `bench perf` measures unless told otherwise: the built-in shapes
// on every backbone and BERT-base shapes on BERT (base-nezha and base-roformer add about as much
// time as base each, minutes on 2 cores; name them in --sizes to measure them).
var DefaultSizes = []string{"builtin", "builtin-nezha", "builtin-roformer", "base"}

// BuiltinVocab approximates the built-in backbone's vocabulary (about 1,300 tokens); the
// exact size moves with the generator and does not matter for speed.
const BuiltinVocab = 1300

// Sizes returns the sizes `bench perf` knows, by name.
func Sizes() map[string]Size {
	bertBase := model.Config{HiddenSize: 768, NumHiddenLayers: 12, NumAttentionHeads: 12, IntermediateSize: 3072,
		MaxPositionEmbeddings: 512, TypeVocabSize: 2, VocabSize: 21128, LayerNormEps: 1e-12,
		HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1, HiddenAct: "gelu", InitializerRange: 0.02}
	sizes := map[string]Size{
		// The built-in suite's shapes and method budgets (experiments.yaml): batch 32, max_len
		// 64, 27 prefix positions or 27 extra FFN units.
		"builtin": {Name: "builtin", Config: builtin.DefaultSpec().Config(BuiltinVocab), Batch: 32, Seq: 64,
			Warmup: 5, Steps: 30, Reps: 5,
			Options: map[string][]string{"p-tuning-v2": {"prefix_len=27"}, "fl-tuning": {"units=27"}},
			LR:      map[string]float64{"fine-tuning": 5e-4, "p-tuning-v2": 1e-2, "fl-tuning": 5e-3}},
		// BERT-base shapes with the paper's budgets (paper.yaml: 160 prefix positions or units),
		// random weights; a small batch so that a run stays within minutes on 2 cores. Two
		// warm-up steps, because the allocator is still growing into fresh pages during the
		// second: a fine-tuning step faults in ~540k pages first, ~300k second, then ~20k per
		// step, and in most processes of either side the second step ran 15-50% slower than
		// the ones after it.
		"base": {Name: "base", Config: bertBase, Batch: 8, Seq: 128, Warmup: 2, Steps: 4, Reps: 2,
			Options: map[string][]string{"p-tuning-v2": {"prefix_len=160"}, "fl-tuning": {"units=160"}},
			LR:      map[string]float64{"fine-tuning": 2e-5, "p-tuning-v2": 5e-3, "fl-tuning": 5e-4}},
	}
	for _, shape := range []string{"builtin", "base"} {
		for _, arch := range []string{model.ArchNEZHA, model.ArchRoFormer} {
			s := sizes[shape].WithBackbone(arch)
			sizes[s.Name] = s
		}
	}
	return sizes
}

// WithBackbone is s with the encoder of another architecture (config.json's model_type) at the
// same shapes, batch, budgets and repetitions, named "<size>-<arch>"; ArchBERT returns s. The
// architectures' own fields take transformers' defaults that change no shape: NEZHA clips
// relative distances at 64 (as the Chinese NEZHA checkpoints do), RoFormer embeds at the hidden
// width (no embeddings_project) and rotates queries and keys only, over the size's
// max_position_embeddings.
func (s Size) WithBackbone(arch string) Size {
	if arch == model.ArchBERT || arch == "" {
		return s
	}
	s.Name += "-" + arch
	s.Config.ModelType = arch
	if arch == model.ArchNEZHA {
		s.Config.MaxRelativePosition = 64
	}
	return s
}

// Backbone is the architecture a size's encoder has: "bert", "nezha" or "roformer".
func (s Size) Backbone() string { return s.Config.Arch() }

// Shape is the name of the BERT size whose shapes s has: "builtin" for "builtin-nezha".
func (s Size) Shape() string { return sizeShape(s.Name, s.Config.Arch()) }

func sizeShape(name, arch string) string {
	if arch == model.ArchBERT {
		return name
	}
	return strings.TrimSuffix(name, "-"+arch)
}

// SizeNames lists the known sizes, sorted.
func SizeNames() []string {
	var out []string
	for n := range Sizes() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LookupSize returns a known size, or an error listing them.
func LookupSize(name string) (Size, error) {
	s, ok := Sizes()[name]
	if !ok {
		return Size{}, fmt.Errorf("unknown size %q (known: %s)", name, strings.Join(SizeNames(), ", "))
	}
	return s, nil
}

// Workload is the size's workload for a method, with the harness's defaults for everything
// that is not a shape (the built-in suite's weight decay, clipping and head dropout).
func (s Size) Workload(method string, threads int, device string) Workload {
	return Workload{Size: s.Name, Method: method, Options: s.Options[method], Config: s.Config, Labels: 2,
		Batch: s.Batch, Seq: s.Seq, Warmup: s.Warmup, Steps: s.Steps, Threads: threads,
		LR: s.LR[method], WeightDecay: 0.01, Clip: 1.0, HeadDropout: 0.1, Seed: 1, Device: device}
}
