//go:build cgo

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/clue-bench/clue-bench/bench"
	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
)

func init() {
	register(&command{
		name: "run-cell",
		summary: `run one cell of a frozen plan (bench plan --freeze): the unit of work of array jobs and pods
Idempotent: a done cell is skipped (exit 0); a cell held by a live worker is left to it (exit 0,
or with --wait, wait for that worker and take over if its claim goes stale); a dead worker's
claim is taken over. Exit status 1 if the cell failed, in this run or an earlier one.`,
		required: []string{"plan", "index"},
		flags:    runCellFlags,
	})
}

// waitPoll is how often --wait looks at a cell held by another worker; tests shorten it.
var waitPoll = bench.DefaultCellPoll

func runCellFlags(fs *flag.FlagSet) action {
	planPath := fs.String("plan", "", "frozen `PLAN` file (bench plan --freeze)")
	index := fs.Int("index", 0, "the cell's 0-based index `I` in the plan (e.g. $SLURM_ARRAY_TASK_ID)")
	out := fs.String("out", "", "results `DIR` (default: the plan's out)")
	device := fs.String("device", "", "`DEVICE`: auto, cpu, cuda or cuda:N (default: the plan's device)")
	threads := fs.Int("threads", -1, "`N` libtorch threads; -1 = the plan's threads, 0 = all cores")
	rerunFailed := fs.Bool("rerun-failed", false, "run the cell again if it is recorded as failed")
	wait := fs.Bool("wait", false, "when another worker holds the cell, wait for it to finish (or die) instead of exiting")
	saveBackbone := fs.Bool("save-backbone", false, "keep a fully tuned backbone (fine-tuning's) with the cell's trained weights; without it fine-tuning keeps its head only")
	return func(_ []string, stdout, stderr io.Writer) error {
		if *index < 0 {
			return usageErrorf("--index must not be negative, got %d", *index)
		}
		if err := intAtLeast("threads", *threads, -1, "-1 = the plan's threads, 0 = all cores"); err != nil {
			return err
		}
		if *device != "" {
			if err := checkDeviceName(*device); err != nil {
				return usageErrorf("--device %v", err)
			}
		}
		frozen, err := plan.ReadFrozen(*planPath)
		if err != nil {
			return err
		}
		if *index >= len(frozen.Cells) {
			return usageErrorf("--index %d: plan %s has %d cells (0 to %d)", *index, *planPath, len(frozen.Cells), len(frozen.Cells)-1)
		}
		cell := frozen.Cells[*index]
		o := bench.RunOptions{Cells: []plan.Cell{cell}, Out: frozen.Out, Device: frozen.Device, Threads: frozen.Threads,
			RerunFailed: *rerunFailed, SaveBackbone: *saveBackbone, Stderr: stderr}
		if *out != "" {
			o.Out = *out
		}
		if *device != "" {
			o.Device = *device
		}
		if *threads >= 0 {
			o.Threads = *threads
		}
		if err := checkResults(o.Out, o.Cells); err != nil {
			return err
		}
		ctx, stop := interruptContext()
		defer stop()
		say := func(format string, a ...any) {
			fmt.Fprintf(stderr, "bench run-cell: cell %d %s: %s\n", *index, cell.Key(), fmt.Sprintf(format, a...))
		}
		outcome, r, err := bench.RunCell(ctx, bench.CellOptions{Cell: cell, Run: o, Wait: *wait, Poll: waitPoll,
			Resolve: func(ctx context.Context) (string, string, error) {
				// A plan of several backbones gives each cell its own; this cell needs only that.
				backbone, err := frozen.BackboneDir(cell)
				if err != nil {
					return "", "", fmt.Errorf("plan %s: %w", *planPath, err)
				}
				key := "backbone"
				if cell.BackboneName != "" {
					key = "backbones." + cell.BackboneName
				}
				for _, in := range []struct{ key, path string }{{key, backbone}, {"data_dir", frozen.DataDir}} {
					if err := checkInputDir("plan "+*planPath, in.key, in.path); err != nil {
						return "", "", err
					}
				}
				// Tasks and Settings say what data_dir: clue must hold for this cell.
				cfg := &plan.Config{Backbone: backbone, DataDir: frozen.DataDir, Device: o.Device, Threads: o.Threads,
					Tasks: map[string]*plan.TaskSpec{cell.Task: {}}, Settings: map[string]*plan.SettingSpec{cell.Setting: {Split: cell.Split}}}
				return resolveInputs(ctx, cfg, 0, stderr)
			},
			Waiting: func() { say("held by another worker; waiting for it to finish or its claim to go stale") },
		})
		if err != nil {
			if errors.Is(err, bench.ErrInterrupted) {
				return interrupted(ctx, err.Error())
			}
			return err
		}
		switch outcome {
		case bench.CellSkipped:
			say("done already; skipped")
		case bench.CellRecordedFailed:
			return fmt.Errorf("cell %d %s: recorded as failed (%s); --rerun-failed runs it again", *index, cell.Key(), r.Error)
		case bench.CellHeld:
			say("held by a live worker; not run here")
		case bench.CellRan:
			if r.Status == results.ResultFailed {
				say("ran: failed")
				return fmt.Errorf("cell %d %s failed: %s", *index, cell.Key(), r.Error)
			}
			detail := ""
			if m, v, ok := r.Headline(); ok {
				detail = fmt.Sprintf(", dev %s %.2f", m.Name, v)
			}
			say("ran: %s%s", r.Status, detail)
		}
		return nil
	}
}
