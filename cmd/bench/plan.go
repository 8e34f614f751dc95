package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/builtin"
	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/fetch"
)

func init() {
	register(&command{
		name: "plan",
		summary: `list every cell of the matrix with its id, status (done/stale/failed/running/pending) and estimated steps

With --device-class, each cell also gets an estimated training time on one device of that
class, and the plan ends with the total in device-hours (GPU-hours on one GPU), from the
training steps/s this binary measured there: the ok results in the results directory and
in each --rates-from DIR whose device ("cpu", "cuda") equals the class or whose device name
contains it ("h100" matches "NVIDIA H100 80GB HBM3"). A probe gives those measurements, e.g.
on the target GPU (each probe cell still evaluates on its whole dev set once):

  bench run -c paper.yaml --limit 50 --only '*/*/*/full/s1' --out results-probe

A cell uses the rate measured on its own backbone, task and method; else on its task and
method on another backbone; else on its method and another task, scaled by the step's size
(batch_size × accumulate × max_len). --steps-per-s N overrides the measurements: N is the
steps/s of a 32 × 128-token step, scaled the same way for every cell. Estimates cover
training steps, not evaluation.`,
		flags: planFlags,
	})
}

type planRow struct {
	Index  int            `json:"index"`
	Name   string         `json:"name"`
	Seed   int64          `json:"seed"`
	ID     string         `json:"id"`
	Status results.Status `json:"status"`
	Steps  int            `json:"estimated_steps"` // -1 when the training data could not be read
	Cell   plan.Cell      `json:"cell"`
	// With --device-class or --steps-per-s: estimated training seconds (absent when no
	// measured rate applies) and what the estimate rests on.
	EstimatedS *float64 `json:"estimated_s,omitempty"`
	Basis      string   `json:"estimate_basis,omitempty"`
}

func planFlags(fs *flag.FlagSet) action {
	cfgPath, only := matrixFlags(fs)
	out := fs.String("out", "", "results `DIR` (default: the config's out)")
	asJSON := fs.Bool("json", false, "print JSON lines, one cell per line")
	freeze := fs.String("freeze", "", "write the cells in order to this `PLAN` file for run-cell, instead of listing them")
	class := fs.String("device-class", "", "estimate each cell's training time on one device of this `CLASS` (cpu, cuda, or part of a device name: h100, a100) from measured steps/s")
	stepsPerS := fs.Float64("steps-per-s", 0, "estimate with this training rate `N` (steps/s of a 32 × 128-token step) instead of measured ones")
	ratesFrom := new(multiFlag)
	fs.Var(ratesFrom, "rates-from", "results `DIR` whose measured steps/s the estimates use, besides the plan's own (repeatable)")
	return func(_ []string, stdout, stderr io.Writer) error {
		if *stepsPerS < 0 || math.IsNaN(*stepsPerS) || math.IsInf(*stepsPerS, 0) {
			return usageErrorf("--steps-per-s must be a positive number, got %g", *stepsPerS)
		}
		if len(*ratesFrom) > 0 && *class == "" {
			return usageErrorf("--rates-from needs --device-class (which measurements to use)")
		}
		cfg, cells, err := loadPlan(*cfgPath, *only, 0)
		if err != nil {
			return err
		}
		if *freeze != "" {
			_, err := freezePlan(*freeze, cfg, cells, *out, stdout)
			return err
		}
		dir := cfg.Out
		if *out != "" {
			dir = *out
		}
		if err := checkResults(dir, cells); err != nil {
			return err
		}
		store := &results.Store{Dir: dir}
		var est *estimator
		if *class != "" || *stepsPerS > 0 {
			if est, err = newEstimator(*class, *stepsPerS, append([]string{dir}, *ratesFrom...)); err != nil {
				return err
			}
		}
		// Planning never builds anything: built-in data is counted only if it was generated before.
		dataDir := cfg.DataDir
		if dataDir == "builtin" {
			dataDir = builtin.DataPath(builtin.CacheDir(), builtin.DefaultSpec().DataSeed)
		} else if dataDir == plan.CLUEData {
			dataDir = fetch.DefaultDir() // counted if fetched before, like the built-in data
		}
		sizes := map[string]int{} // task/split → training examples, read once
		var statuses []results.Status
		var rows []planRow
		for i, c := range cells {
			st, _ := results.CellStatus(store, c)
			statuses = append(statuses, st)
			key := c.Task + "\x00" + c.Split
			n, ok := sizes[key]
			if !ok {
				n = trainSize(c, dataDir)
				sizes[key] = n
			}
			steps := -1
			if n >= 0 {
				steps = plan.EstimateSteps(c.Hyper, n)
			}
			row := planRow{Index: i, Name: c.Name(), Seed: c.Seed, ID: c.ID, Status: st, Steps: steps, Cell: c}
			if est != nil && steps >= 0 {
				if secs, basis, ok := est.estimate(c, steps); ok {
					row.EstimatedS, row.Basis = &secs, basis
				}
			}
			rows = append(rows, row)
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			for _, r := range rows {
				if err := enc.Encode(r); err != nil {
					return err
				}
			}
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
		if est == nil {
			fmt.Fprintln(tw, "#\tcell\tseed\tid\tstatus\tsteps")
		} else {
			fmt.Fprintln(tw, "#\tcell\tseed\tid\tstatus\tsteps\ttime\tbasis")
		}
		for _, r := range rows {
			steps := "?"
			if r.Steps >= 0 {
				steps = strconv.Itoa(r.Steps)
			}
			if est == nil {
				fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\n", r.Index, r.Name, r.Seed, r.ID, r.Status, steps)
				continue
			}
			t, basis := "?", "no rate measured"
			if r.EstimatedS != nil {
				t, basis = fmtDuration(*r.EstimatedS), r.Basis
			}
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Index, r.Name, r.Seed, r.ID, r.Status, steps, t, basis)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		on := ""
		if names := backboneNames(cells); len(cfg.Backbones) > 0 {
			on = fmt.Sprintf(" on %d backbone(s) (%s)", len(names), strings.Join(names, ", "))
		}
		fmt.Fprintf(stdout, "%d cells%s: %s (results: %s)\n", len(cells), on, results.Counts(statuses), dir)
		if est != nil {
			fmt.Fprintln(stdout, estimateTotal(est, rows))
		}
		planGridSummary(stdout, cfg, rows)
		return nil
	}
}

// trainSize counts a cell's training examples, or -1 if its data cannot be read now.
func trainSize(c plan.Cell, dataDir string) int {
	t, err := clue.Lookup(c.Task)
	if err != nil {
		return -1
	}
	sel, err := clue.ParseSelection(c.Split)
	if err != nil {
		return -1
	}
	ds, err := clue.Load(t, dataDir, sel)
	if err != nil {
		return -1
	}
	return len(ds.Train)
}

// freezePlan writes the cells of a config to a plan file for run-cell; out overrides the
// config's results directory when not empty.
func freezePlan(path string, cfg *plan.Config, cells []plan.Cell, out string, w io.Writer) (*plan.Frozen, error) {
	f, err := plan.Freeze(cfg, cells, out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Path, err)
	}
	return f, writePlan(path, f, w)
}

func writePlan(path string, f *plan.Frozen, w io.Writer) error {
	if err := plan.WriteFrozen(path, f); err != nil {
		return err
	}
	fmt.Fprintf(w, "froze %d cells to %s (results: %s)\n", len(f.Cells), path, f.Out)
	return nil
}
