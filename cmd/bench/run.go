//go:build cgo

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"

	"golang.org/x/term"

	"github.com/clue-bench/clue-bench/bench"
	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/builtin"
)

func init() {
	register(&command{
		name: "run",
		summary: `train and evaluate every pending cell of the matrix, recording one result file per cell
Done cells with the same config are skipped, stale ones rerun (config changed, or another
version's built-in data or backbone). --only globs name task/method/setting[/sSEED], with the
backbone's name in front where the config names several (backbones); one that matches no cell
is an error. A cell that fails is recorded as failed and the matrix goes on; the exit status is
1 if any cell failed.
Ctrl-C stops after the current step, keeping every finished result. --devices runs one worker
process per GPU, each on its own shard of the cells; --workers N runs N processes on this
machine, each with 1/N of the threads, taking cells as they free up. With either, the exit
status is the worst of the workers'.`,
		flags: runFlags,
	})
}

func runFlags(fs *flag.FlagSet) action {
	cfgPath, only := matrixFlags(fs)
	out := fs.String("out", "", "results `DIR` (default: the config's out)")
	shard := fs.String("shard", "", "run only shard i of N (`i/N`, 1-based) of the cells")
	force := fs.Bool("force", false, "rerun cells that are already done")
	rerunFailed := fs.Bool("rerun-failed", false, "rerun cells recorded as failed")
	limit := fs.Int("limit", 0, "cap optimiser steps per cell at `N` (smoke runs); 0 = no cap")
	device := fs.String("device", "", "`DEVICE`: auto, cpu, cuda or cuda:N (default: the config's device)")
	threads := fs.Int("threads", -1, "`N` libtorch threads; -1 = the config's threads, 0 = all cores")
	pretrainSteps := fs.Int("pretrain-steps", 0, "`N` masked-LM steps for the built-in backbone (0 = its default; another value is another cached backbone)")
	saveBackbone := fs.Bool("save-backbone", false, "keep a fully tuned backbone (fine-tuning's) with each cell's trained weights; without it fine-tuning keeps its head only")
	devices := fs.String("devices", "", "run one worker process per device of the `LIST`, on disjoint cells: GPU numbers (0,1,2,3) or cuda:N")
	longestFirst := fs.Bool("longest-first", false, "run the cells in decreasing order of their training tokens (estimated steps x batch x length) instead of the plan's order; --workers sets it for its workers, so that they finish together")
	workers := fs.Int("workers", -1, "run `N` worker processes on this machine, sharing the threads and taking cells as they free up; -1 = the config's workers, 0 or 1 = this process alone")
	return func(_ []string, stdout, stderr io.Writer) error {
		if *device != "" {
			if err := checkDeviceName(*device); err != nil {
				return usageErrorf("--device %v", err)
			}
		}
		if err := firstError(
			intAtLeast("limit", *limit, 0, "0 = no cap"),
			intAtLeast("threads", *threads, -1, "-1 = the config's threads, 0 = all cores"),
			intAtLeast("pretrain-steps", *pretrainSteps, 0, "0 = the default"),
			intAtLeast("workers", *workers, -1, "-1 = the config's workers"),
		); err != nil {
			return err
		}
		cfg, cells, err := loadPlan(*cfgPath, *only, *pretrainSteps)
		if err != nil {
			return err
		}
		if err := checkConfigInputs(cfg, cells); err != nil {
			return err
		}
		resultsDir := cfg.Out
		if *out != "" {
			resultsDir = *out
		}
		if err := checkResults(resultsDir, cells); err != nil {
			return err
		}
		if *devices != "" {
			devs, err := parseDevices(*devices)
			if err != nil {
				return usageErrorf("%v", err)
			}
			if *shard != "" || *device != "" || *workers > 1 {
				return usageErrorf("--devices sets each worker's --device and --shard; give neither with it, nor --workers")
			}
			return runOnDevices(fs, *only, devs, stderr)
		}
		if *shard != "" {
			i, n, err := plan.ParseShard(*shard)
			if err != nil {
				return usageErrorf("%v", err)
			}
			cells = plan.Shard(cells, i, n)
		}
		o := bench.RunOptions{Cells: cells, Out: resultsDir, Device: cfg.Device, Threads: cfg.Threads,
			Force: *force, RerunFailed: *rerunFailed, Limit: *limit, SaveBackbone: *saveBackbone, Stderr: stderr}
		if *device != "" {
			o.Device = *device
		}
		if *threads >= 0 {
			o.Threads = *threads
		}
		if f, ok := stderr.(*os.File); ok {
			o.TTY = term.IsTerminal(int(f.Fd()))
		}
		ctx, stop := interruptContext()
		defer stop()
		if len(cfg.Backbones) == 0 {
			if o.ModelDir, o.DataDir, err = resolveInputs(ctx, cfg, *pretrainSteps, stderr); err != nil {
				return err
			}
		} else if o.ModelDirs, o.DataDir, err = resolveBackbones(ctx, cfg, backboneNames(cells), *pretrainSteps, stderr); err != nil {
			return err
		}
		if *longestFirst {
			longestFirstOrder(o.Cells, o.DataDir)
		}
		fmt.Fprintf(stderr, "bench run: %d cells, results in %s\n", len(cells), o.Out)
		if n := cfg.Workers; *workers > 1 || (*workers < 0 && n > 1) {
			if *workers > 1 {
				n = *workers
			}
			threads := o.Threads
			if threads == 0 {
				threads = runtime.NumCPU()
			}
			// The data and the built-in backbone are ready (resolved above), so the workers
			// find them in the cache.
			stop()
			return runOnCPUWorkers(fs, *only, n, threads, stderr)
		}
		sum, err := bench.Run(ctx, o)
		fmt.Fprintf(stderr, "bench run: %d ran (%d failed), %d skipped, %d held by other workers\n", sum.Ran, sum.Failed, sum.Skipped, sum.Busy)
		for _, h := range sum.Held {
			fmt.Fprintf(stderr, "bench run: left to the worker that holds it: %s\n", h)
		}
		if err != nil {
			if ctx.Err() != nil {
				return interrupted(ctx, "interrupted; finished cells are recorded")
			}
			return err
		}
		if sum.Failed > 0 {
			return fmt.Errorf("%d cell(s) failed; see the results' error fields and logs", sum.Failed)
		}
		return nil
	}
}

// resolveInputs turns the config's backbone and data dir into directories, generating the
// built-in data and pre-training the built-in backbone when asked for (both cached).
func resolveInputs(ctx context.Context, cfg *plan.Config, pretrainSteps int, stderr io.Writer) (modelDir, dataDir string, err error) {
	modelDir, dataDir = cfg.Backbone, cfg.DataDir
	cache := builtin.CacheDir()
	spec := builtin.DefaultSpec()
	if pretrainSteps > 0 {
		spec.Steps = pretrainSteps
	}
	if dataDir == "builtin" {
		if dataDir, err = builtin.DataDir(cache, spec.DataSeed); err != nil {
			return "", "", err
		}
	}
	if modelDir == "builtin" {
		spec.Device = cfg.Device
		spec.Threads = cfg.Threads
		if modelDir, err = builtinModel(ctx, cache, spec, builtin.Options{}, stderr); err != nil {
			return "", "", err
		}
	}
	if dataDir == plan.CLUEData {
		if dataDir, err = fetchCLUEData(ctx, cfg, stderr); err != nil {
			return "", "", err
		}
	}
	if modelDir, err = resolveHubBackbone(ctx, backboneValue(cfg.BackboneWritten(""), modelDir), stderr); err != nil {
		return "", "", err
	}
	return modelDir, dataDir, nil
}

// resolveBackbones is resolveInputs for a config with several backbones: the directories of
// the named ones, by name, and the data directory. The built-in backbone is prepared once,
// however many names stand for it.
func resolveBackbones(ctx context.Context, cfg *plan.Config, names []string, pretrainSteps int, stderr io.Writer) (map[string]string, string, error) {
	dirs := map[string]string{}
	var dataDir, builtinDir string
	for _, name := range names {
		dir, ok := cfg.BackboneDir(name)
		if !ok {
			return nil, "", fmt.Errorf("%s: backbone %q is not in backbones", cfg.Path, name)
		}
		if dir == "builtin" && builtinDir != "" {
			dirs[name] = builtinDir
			continue
		}
		one := *cfg
		one.Backbone, one.Backbones = backboneValue(cfg.BackboneWritten(name), dir), nil
		if dataDir != "" {
			one.DataDir = dataDir // resolved with the first backbone
		}
		resolved, data, err := resolveInputs(ctx, &one, pretrainSteps, stderr)
		if err != nil {
			return nil, "", err
		}
		if dir == "builtin" {
			builtinDir = resolved
		}
		dirs[name], dataDir = resolved, data
	}
	return dirs, dataDir, nil
}

// longestFirstOrder sorts cells by their estimated training tokens, largest first (stable, so
// equal cells keep the plan's order). Workers that take cells in this order end within about
// one short cell of each other, where the plan's order can leave one worker alone with the
// longest cells at the end. A cell whose data cannot be read counts as the largest: it fails
// early.
func longestFirstOrder(cells []plan.Cell, dataDir string) {
	sizes := map[string]int{} // task/split → training examples, read once
	cost := make(map[string]float64, len(cells))
	for _, c := range cells {
		key := c.Task + "\x00" + c.Split
		n, ok := sizes[key]
		if !ok {
			n = trainSize(c, dataDir)
			sizes[key] = n
		}
		if n < 0 {
			cost[c.ID] = math.Inf(1)
			continue
		}
		h := c.Hyper
		cost[c.ID] = float64(plan.EstimateSteps(h, n)) * float64(h.BatchSize*max(1, h.Accumulate)*h.MaxLen)
	}
	sort.SliceStable(cells, func(i, j int) bool { return cost[cells[i].ID] > cost[cells[j].ID] })
}
