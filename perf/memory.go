package perf

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/clue-bench/clue-bench/builtin"
	"github.com/clue-bench/clue-bench/internal/procfs"
)

// MemoryOptions configures the memory check.
type MemoryOptions struct {
	Steps     int // optimiser steps per cell (5,000)
	EvalEvery int // steps between dev evaluations, and so between RSS samples (default Steps/20)
	Threads   int
	Dir       string   // scratch directory: config and results
	Env       []string // added to the child's environment
	Progress  io.Writer
}

// MemoryTolerance is how far RSS may move from its value after warm-up (±5%).
const MemoryTolerance = 0.05

// memoryWarmupFrac is the share of steps before the baseline sample: allocator pools, the
// optimiser state and the best-model snapshot are all in place by then.
const memoryWarmupFrac = 0.2

// RSSSample is the child's resident set size when it reported a step.
type RSSSample struct {
	Step   int     `json:"step"`
	RSSMiB float64 `json:"rss_mib"`
}

// MemoryCell is one cell's RSS over its run.
type MemoryCell struct {
	Cell    string      `json:"cell"`
	Samples []RSSSample `json:"samples"`
	// Baseline is the median of the first baselineSamples samples at or after warm-up (its Step
	// is the first one's): a single sample moves by ±2% with the Go collector and glibc.
	Baseline RSSSample `json:"baseline"`
	MinMiB   float64   `json:"min_mib"` // after warm-up
	MaxMiB   float64   `json:"max_mib"`
	LastMiB  float64   `json:"last_mib"`
	// MaxDev is the largest |RSS − baseline| / baseline after warm-up.
	MaxDev float64 `json:"max_dev"`
	// SlopeMiBPer1k is the least-squares growth after warm-up, MiB per 1,000 steps.
	SlopeMiBPer1k float64 `json:"slope_mib_per_1k_steps"`
	Flat          bool    `json:"flat"`
}

// Memory is the memory check's result.
type Memory struct {
	Steps     int          `json:"steps"`
	WarmupTo  int          `json:"warmup_steps"`
	Tolerance float64      `json:"tolerance"`
	Backbone  string       `json:"backbone"`
	Cells     []MemoryCell `json:"cells"`
}

// memorySpec is a tiny backbone: the check is about leaks per step, which a small model shows
// as well as a large one, in seconds rather than minutes.
func memorySpec(threads int) builtin.Spec {
	return builtin.Spec{Layers: 2, Hidden: 32, Heads: 2, Intermediate: 64, MaxPositions: 64, SeqLen: 32,
		Batch: 8, Steps: 2, LR: 1e-3, Seed: 1, DataSeed: 1, Device: "cpu", Threads: threads}
}

// memoryConfig is an experiments file with one tiny cell per method on the built-in TNEWS.
const memoryConfig = `# Written by bench perf: the memory check's cells.
backbone: %q
data_dir: %q
out: %q
device: cpu
threads: %d
seeds: [1]
defaults: {max_len: 32, batch_size: 8, eval_batch_size: 64, max_steps: %d, eval_every: %d, weight_decay: 0.01, clip: 1.0, warmup: 0.0}
tasks:
  tnews: {}
methods:
  fine-tuning: {lr: 1.0e-4}
  p-tuning-v2: {lr: 1.0e-2, options: {prefix_len: 8}}
  fl-tuning: {lr: 1.0e-3, options: {units: 8}}
settings:
  full: {split: full}
`

// evalLine is bench run's plain progress line after a dev evaluation.
var evalLine = regexp.MustCompile(`^\s+(\S+ s\d+): step (\d+)/(\d+) dev `)

// MeasureMemory runs the memory check's cells in one `self run` process and samples that
// process's RSS each time it reports a dev evaluation.
func MeasureMemory(ctx context.Context, self string, o MemoryOptions) (*Memory, error) {
	if o.Steps < 20 {
		return nil, fmt.Errorf("memory check: %d steps are too few to see a trend", o.Steps)
	}
	if o.EvalEvery <= 0 {
		o.EvalEvery = o.Steps / 20
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("memory check: %w", err)
	}
	cache := builtin.CacheDir()
	modelDir, err := builtin.ModelDir(ctx, cache, memorySpec(o.Threads), nil)
	if err != nil {
		return nil, fmt.Errorf("memory check: tiny backbone: %w", err)
	}
	dataDir := builtin.DataPath(cache, 1)
	cfgPath := filepath.Join(o.Dir, "memory.yaml")
	cfg := fmt.Sprintf(memoryConfig, modelDir, dataDir, filepath.Join(o.Dir, "results"), o.Threads, o.Steps, o.EvalEvery)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("memory check: %w", err)
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "perf: memory: %d steps per cell, RSS sampled every %d steps\n", o.Steps, o.EvalEvery)
	}
	cmd := exec.CommandContext(ctx, self, "run", "-c", cfgPath, "--force")
	cmd.Env = append(os.Environ(), o.Env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("memory check: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("memory check: bench run: %w", err)
	}
	var order []string
	samples := map[string][]RSSSample{}
	var tail []string
	var sampleErr error
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		if tail = append(tail, line); len(tail) > 5 {
			tail = tail[1:]
		}
		m := evalLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		// The child prints the line after the evaluation and goes on training; reading its
		// RSS now catches it within a step of the evaluation.
		kb, err := procfs.StatusKB(cmd.Process.Pid, "VmRSS")
		if err != nil {
			sampleErr = err
			continue
		}
		step, _ := strconv.Atoi(m[2])
		if _, seen := samples[m[1]]; !seen {
			order = append(order, m[1])
		}
		samples[m[1]] = append(samples[m[1]], RSSSample{Step: step, RSSMiB: kb / 1024})
		if o.Progress != nil && step%(5*o.EvalEvery) == 0 {
			fmt.Fprintf(o.Progress, "perf: memory: %s step %d RSS %.1f MiB\n", m[1], step, kb/1024)
		}
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("memory check: bench run: %w: %s", err, strings.Join(tail, "\n"))
	}
	if len(order) == 0 {
		return nil, errors.Join(fmt.Errorf("memory check: no RSS samples: bench run printed no evaluation lines (last output: %s)", strings.Join(tail, " | ")), sampleErr)
	}
	mem := &Memory{Steps: o.Steps, WarmupTo: int(memoryWarmupFrac * float64(o.Steps)), Tolerance: MemoryTolerance, Backbone: modelDir}
	for _, name := range order {
		mem.Cells = append(mem.Cells, judgeMemory(name, samples[name], mem.WarmupTo, MemoryTolerance))
	}
	return mem, nil
}

// baselineSamples is how many samples after warm-up make the baseline.
const baselineSamples = 3

// judgeMemory decides whether RSS stayed within tol of its value at the end of warm-up.
func judgeMemory(name string, s []RSSSample, warmupTo int, tol float64) MemoryCell {
	c := MemoryCell{Cell: name, Samples: s}
	var after []RSSSample
	for _, x := range s {
		if x.Step >= warmupTo {
			after = append(after, x)
		}
	}
	if len(after) < baselineSamples+1 {
		return c // too few samples to call it flat
	}
	first := make([]float64, baselineSamples)
	for i := range first {
		first[i] = after[i].RSSMiB
	}
	c.Baseline = RSSSample{Step: after[0].Step, RSSMiB: median(first)}
	c.MinMiB, c.MaxMiB, c.LastMiB = math.Inf(1), math.Inf(-1), after[len(after)-1].RSSMiB
	var sx, sy, sxx, sxy float64
	for _, x := range after {
		c.MinMiB = math.Min(c.MinMiB, x.RSSMiB)
		c.MaxMiB = math.Max(c.MaxMiB, x.RSSMiB)
		c.MaxDev = math.Max(c.MaxDev, math.Abs(x.RSSMiB-c.Baseline.RSSMiB)/c.Baseline.RSSMiB)
		k := float64(x.Step) / 1000
		sx, sy, sxx, sxy = sx+k, sy+x.RSSMiB, sxx+k*k, sxy+k*x.RSSMiB
	}
	n := float64(len(after))
	if d := n*sxx - sx*sx; d != 0 {
		c.SlopeMiBPer1k = (n*sxy - sx*sy) / d
	}
	c.Flat = c.MaxDev <= tol
	return c
}
