package results

import (
	"time"

	"github.com/clue-bench/clue-bench/bench/plan"
)

// ResultSchema is bumped when Result changes incompatibly; reports refuse other versions.
const ResultSchema = 1

// Result.Status values. A failed result records the error; the cell is not run again
// unless asked.
const (
	ResultOK     = "ok"
	ResultFailed = "failed"
)

// Metric describes one reported metric.
type Metric struct {
	Name           string `json:"name"`
	HigherIsBetter bool   `json:"higher_is_better"`
}

// EvalPoint is one dev evaluation during training.
type EvalPoint struct {
	Step      int                `json:"step"`  // optimiser steps done
	Epoch     float64            `json:"epoch"` // fractional epochs done
	TrainLoss float64            `json:"train_loss"`
	LR        float64            `json:"lr"`
	Dev       map[string]float64 `json:"dev"`
	ElapsedS  float64            `json:"elapsed_s"` // training time so far
}

// Convergence summarises the dev curve of the headline metric.
type Convergence struct {
	BestStep int `json:"best_step"`
	Step95   int `json:"step_95"` // first evaluation reaching 95% of the best value
	Step99   int `json:"step_99"`
}

// Params counts parameters; Ratio = Trainable / Total.
type Params struct {
	Trainable          int64   `json:"trainable"`
	TrainableBackbone  int64   `json:"trainable_backbone"`
	Head               int64   `json:"head"`
	Total              int64   `json:"total"`
	Ratio              float64 `json:"ratio"`
	RatioEncoderLayers float64 `json:"ratio_encoder_layers"`
}

// Timing in seconds.
type Timing struct {
	WallS      float64 `json:"wall_s"`
	TrainS     float64 `json:"train_s"` // forward, backward and optimiser steps
	EvalS      float64 `json:"eval_s"`
	SetupS     float64 `json:"setup_s"` // data reading, tokenisation, model building and loading
	MeanStepMS float64 `json:"mean_step_ms"`
}

// Memory peaks in MiB.
type Memory struct {
	PeakRSSMiB    float64 `json:"peak_rss_mib"`
	PeakDeviceMiB float64 `json:"peak_device_mib,omitempty"`
}

// Provenance records where and with what a result was produced.
type Provenance struct {
	GitCommit string `json:"git_commit"`
	GitDirty  bool   `json:"git_dirty"`
	Go        string `json:"go"`
	Gotch     string `json:"gotch"`
	Libtorch  string `json:"libtorch"`
	BLAS      string `json:"blas"`
	// BLASCore is the OpenBLAS kernel the cell ran on and BLASChoice why (see torchrt.EnsureEnv):
	// kernels round differently, so bit-identical reruns need the same one.
	BLASCore    string    `json:"blas_core,omitempty"`
	BLASThreads int       `json:"blas_threads,omitempty"`
	BLASChoice  string    `json:"blas_choice,omitempty"`
	Threads     int       `json:"threads"`
	Device      string    `json:"device"`
	DeviceName  string    `json:"device_name"`
	Host        string    `json:"host"`
	Seed        int64     `json:"seed"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
}

// DataStats counts examples used.
type DataStats struct {
	Train int `json:"train"`
	Dev   int `json:"dev"`
	Test  int `json:"test"`
}

// Result is everything recorded about one cell; one JSON file per cell.
type Result struct {
	Schema      int                `json:"schema"`
	Cell        plan.Cell          `json:"cell"`
	Status      string             `json:"status"`
	Error       string             `json:"error,omitempty"`
	Flags       []string           `json:"flags,omitempty"` // e.g. "majority-class"
	Metrics     []Metric           `json:"metrics"`         // first is the headline
	Best        map[string]float64 `json:"best_dev"`
	Curve       []EvalPoint        `json:"curve"`
	Convergence Convergence        `json:"convergence"`
	Params      Params             `json:"params"`
	Steps       int                `json:"steps"`
	Time        Timing             `json:"time"`
	Memory      Memory             `json:"memory"`
	Provenance  Provenance         `json:"provenance"`
	Data        DataStats          `json:"data"`
	Predictions string             `json:"predictions,omitempty"` // test submission file, relative to the results dir
	// Weights is the file of the best-dev trained tensors (the method's and the head's, see
	// bench.WeightsMeta), relative to the results dir, and WeightsBytes its size on disk; both
	// absent in results recorded before cells kept them, or when the file could not be written.
	Weights      string `json:"weights,omitempty"`
	WeightsBytes int64  `json:"weights_bytes,omitempty"`
	Log          string `json:"log,omitempty"`
	// DevStats is the file of the best dev evaluation's per-example statistics (DevStats),
	// relative to the results dir; absent in results recorded before cells wrote them, or when
	// the file could not be written.
	DevStats string `json:"dev_stats,omitempty"`
	// Test holds the metrics of the best-dev weights on the test split where it is labelled
	// (FewCLUE's test_public.json); absent otherwise. Selection never reads it.
	Test map[string]float64 `json:"test,omitempty"`
}

// Headline returns the headline metric and its best dev value.
func (r *Result) Headline() (Metric, float64, bool) {
	if len(r.Metrics) == 0 {
		return Metric{}, 0, false
	}
	v, ok := r.Best[r.Metrics[0].Name]
	return r.Metrics[0], v, ok
}

// ConvergenceOf computes convergence steps from a curve for a metric.
func ConvergenceOf(curve []EvalPoint, m Metric) Convergence {
	var c Convergence
	best, found := 0.0, false
	for _, p := range curve {
		v, ok := p.Dev[m.Name]
		if !ok {
			continue
		}
		if !found || Better(v, best, m.HigherIsBetter) {
			best, c.BestStep, found = v, p.Step, true
		}
	}
	if !found {
		return c
	}
	reach := func(frac float64) int {
		for _, p := range curve {
			v, ok := p.Dev[m.Name]
			if !ok {
				continue
			}
			if (m.HigherIsBetter && v >= frac*best) || (!m.HigherIsBetter && v <= best/frac) {
				return p.Step
			}
		}
		return c.BestStep
	}
	c.Step95, c.Step99 = reach(0.95), reach(0.99)
	return c
}

// Better reports whether v improves on than for a metric where higher (or lower) is better.
// The runner picks its best evaluation by it, and ConvergenceOf finds the same best step.
func Better(v, than float64, higher bool) bool {
	if higher {
		return v > than
	}
	return v < than
}
