package perf

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/clue-bench/clue-bench/bench/results"
)

// DefaultOverheadCells are the built-in suite's cells whose overhead `bench perf` measures:
// one task, full data, every method, one seed — a few minutes on 2 cores.
var DefaultOverheadCells = []string{"tnews/*/full/s1"}

// OverheadOptions selects the cells to run.
type OverheadOptions struct {
	Config   string   // experiments file (the built-in suite)
	Only     []string // --only globs
	Threads  int
	Device   string   // bench run --device; empty: the config's
	Dir      string   // fresh results directory
	Env      []string // added to the child's environment
	Progress io.Writer
}

// CellOverhead is one cell's time split, from its result file.
type CellOverhead struct {
	Cell       string  `json:"cell"`
	Steps      int     `json:"steps"`
	WallS      float64 `json:"wall_s"`
	TrainS     float64 `json:"train_s"`
	EvalS      float64 `json:"eval_s"`
	SetupS     float64 `json:"setup_s"`
	OtherS     float64 `json:"other_s"` // wall − train − eval − setup: saving, logging, the rest
	MeanStepMS float64 `json:"mean_step_ms"`
	Share      float64 `json:"share"` // 1 − train_s / wall_s
	// RunnerShare is (wall_s − train_s − eval_s) / wall_s: set-up, saving and logging, the
	// runner's own cost. Evaluation is left out: how often a cell evaluates is the config's
	// choice (eval_every), and dev curves are what the convergence tables are made of.
	RunnerShare float64 `json:"runner_share"`
}

// Overhead is the share of `bench run` wall time outside the training steps, over all cells.
type Overhead struct {
	Config string         `json:"config"`
	Only   []string       `json:"only"`
	Cells  []CellOverhead `json:"cells"`
	Total  CellOverhead   `json:"total"`
	// RunWallS is the whole `bench run` process: start-up, preparing the inputs (generating the
	// built-in data and pre-training its backbone when they are not cached yet) and writing.
	RunWallS float64 `json:"run_wall_s"`
}

// MeasureOverhead runs the selected cells with `self run` into a fresh results directory and
// reads the time split back from the result files.
func MeasureOverhead(ctx context.Context, self string, o OverheadOptions) (*Overhead, error) {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("overhead: %w", err)
	}
	// One process with the measured thread count, whatever workers the config runs.
	args := []string{"run", "-c", o.Config, "--out", o.Dir, "--force", "--threads", strconv.Itoa(o.Threads), "--workers", "1"}
	for _, g := range o.Only {
		args = append(args, "--only", g)
	}
	if o.Device != "" {
		args = append(args, "--device", o.Device)
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "perf: overhead: bench %v\n", args)
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = append(os.Environ(), o.Env...)
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	if o.Progress != nil {
		cmd.Stderr = io.MultiWriter(&errBuf, o.Progress)
	}
	start := time.Now()
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("overhead: bench run: %w: %s", err, lastLines(errBuf.String(), 5))
	}
	ov := &Overhead{Config: o.Config, Only: o.Only, RunWallS: time.Now().Sub(start).Seconds()}
	store, err := results.OpenStore(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("overhead: %w", err)
	}
	rs, err := store.All()
	if err != nil {
		return nil, fmt.Errorf("overhead: %w", err)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("overhead: no cell of %s matches %v", o.Config, o.Only)
	}
	if err := ov.add(rs); err != nil {
		return nil, err
	}
	return ov, nil
}

// add fills Cells and Total from results.
func (ov *Overhead) add(rs []*results.Result) error {
	for _, r := range rs {
		if r.Status != results.ResultOK {
			return fmt.Errorf("overhead: cell %s %s: %s", r.Cell.Name(), r.Status, r.Error)
		}
		c := splitTime(r.Cell.Name()+" s"+strconv.FormatInt(r.Cell.Seed, 10), r.Steps, r.Time)
		ov.Cells = append(ov.Cells, c)
		ov.Total.Steps += c.Steps
		ov.Total.WallS += c.WallS
		ov.Total.TrainS += c.TrainS
		ov.Total.EvalS += c.EvalS
		ov.Total.SetupS += c.SetupS
	}
	ov.Total = splitTime("all cells", ov.Total.Steps, results.Timing{WallS: ov.Total.WallS, TrainS: ov.Total.TrainS,
		EvalS: ov.Total.EvalS, SetupS: ov.Total.SetupS})
	if ov.Total.Steps > 0 {
		ov.Total.MeanStepMS = 1000 * ov.Total.TrainS / float64(ov.Total.Steps)
	}
	return nil
}

func splitTime(name string, steps int, t results.Timing) CellOverhead {
	c := CellOverhead{Cell: name, Steps: steps, WallS: t.WallS, TrainS: t.TrainS, EvalS: t.EvalS, SetupS: t.SetupS,
		MeanStepMS: t.MeanStepMS}
	c.OtherS = t.WallS - t.TrainS - t.EvalS - t.SetupS
	if t.WallS > 0 {
		c.Share = 1 - t.TrainS/t.WallS
		c.RunnerShare = (t.WallS - t.TrainS - t.EvalS) / t.WallS
	}
	return c
}
