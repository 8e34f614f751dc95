//go:build cgo

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/perf"
)

func init() {
	register(&command{
		name: "perf",
		summary: `measure training speed against PyTorch eager on the same libtorch, the runner's overhead and memory
Throughput: steps/s of our training step and of perf/reference.py (eager PyTorch, same model,
methods, shapes, threads and BLAS), alternating repetitions, medians and their ratio, peak RSS.
Sizes named SIZE-nezha and SIZE-roformer train a NEZHA or RoFormer encoder at SIZE's shapes; the
report sets the backbones' ratios side by side.
With --device cuda both sides train on the GPU (LIBTORCH must be a CUDA libtorch, and --python a
Python whose torch uses it) and synchronise the device before every clock read.
Roofline: per size, float32 and bf16 GFLOP/s of libtorch's matmul at a fine-tuning layer's
products (the size's roofline) and at each method's own step products (the step's roofline), and
each step's FLOPs per second as a share of both float32 rates, for both sides; and, in each
side's own process right after every timed step, the time of the step's products alone as a
share of the step's (the share the 60% target at BERT-base judges).
Overhead: real cells through 'bench run'; 1 - train_s/wall_s from their results. Memory: RSS of
a 'bench run' process over 5,000 steps of tiny cells must stay within ±5% after warm-up.
Writes DIR/results.json and DIR/results.md and prints the table. Exit status 1 when the two
sides are not comparable or memory is not flat; with --strict also when a target is missed.`,
		// The one positional argument is --child's workload, which only perf itself passes:
		// the usage line leaves it out.
		maxArgs: 1,
		flags:   perfFlags,
	})
}

func perfFlags(fs *flag.FlagSet) action {
	child := fs.String("child", "", "internal: run one measurement in this process (`KIND`: ours or gemm), of the workload JSON given as the argument")
	sizes := fs.String("sizes", strings.Join(perf.DefaultSizes, ","), "model `SIZES`: "+strings.Join(perf.SizeNames(), ", "))
	methodList := fs.String("methods", strings.Join(perf.DefaultMethods, ","), "`METHODS` to measure: any registered ones")
	device := fs.String("device", "cpu", "`DEVICE` where both sides train: cpu, cuda or cuda:N (also passed to the overhead cells)")
	threads := fs.Int("threads", 0, "`N` libtorch (and OpenBLAS) threads on both sides; 0 = all logical cores")
	reps := fs.Int("reps", 0, "`N` repetitions per side (0 = the size's default)")
	steps := fs.Int("steps", 0, "`N` timed steps per repetition (0 = the size's default)")
	out := fs.String("out", filepath.Join("build", "perf"), "output `DIR`")
	bf16 := fs.Bool("bf16", false, "also measure our P-tuning v2 and FL-tuning with the frozen backbone in bf16")
	profile := fs.Bool("profile", false, "write a pprof CPU profile of our side's first repetition per workload to DIR/profiles (of the steps alone: that repetition times no products beside them, on either side)")
	waitPolicy := fs.String("omp-wait-policy", "passive", "OMP_WAIT_POLICY `POLICY` for every child (passive: idle OpenMP threads sleep; empty: inherit)")
	python := fs.String("python", "/usr/bin/python3", "`PYTHON` with torch (Debian's python3-torch) for the reference")
	ovConfig := fs.String("overhead-config", "experiments.yaml", "config `FILE` whose cells measure the runner's overhead")
	var ovOnly multiFlag
	fs.Var(&ovOnly, "overhead-only", "cells of --overhead-config to run (`GLOB`, repeatable; default "+strings.Join(perf.DefaultOverheadCells, ", ")+")")
	memSteps := fs.Int("memory-steps", 5000, "`N` steps per cell of the memory check")
	skip := fs.String("skip", "", "`PARTS` to skip: throughput, overhead, memory (comma-separated)")
	strict := fs.Bool("strict", false, "exit 1 when a target is missed")
	return func(args []string, stdout, stderr io.Writer) error {
		if *child != "" {
			return runPerfChild(*child, args, stdout)
		}
		if len(args) > 0 {
			return strayArgs(args)
		}
		if err := firstError(
			intAtLeast("threads", *threads, 0, "0 = all logical cores"),
			intAtLeast("reps", *reps, 0, "0 = the size's default"),
			intAtLeast("steps", *steps, 0, "0 = the size's default"),
			intAtLeast("memory-steps", *memSteps, 1, ""),
		); err != nil {
			return err
		}
		if *threads <= 0 {
			*threads = runtime.NumCPU()
		}
		dev, err := torchrt.ParseDevice(*device)
		if err != nil {
			return usageErrorf("--device: %v", err)
		}
		if strings.EqualFold(strings.TrimSpace(*device), "auto") {
			return usageErrorf("--device: name cpu or cuda[:N]; a comparison should not depend on what the machine has")
		}
		devName := torchrt.DeviceString(dev)
		skipped := map[string]bool{}
		for _, s := range splitList(*skip) {
			if s != "throughput" && s != "overhead" && s != "memory" {
				return usageErrorf("--skip %q: want throughput, overhead or memory", s)
			}
			skipped[s] = true
		}
		var sz []perf.Size
		for _, n := range splitList(*sizes) {
			s, err := perf.LookupSize(n)
			if err != nil {
				return usageErrorf("--sizes: %v", err)
			}
			if *reps > 0 {
				s.Reps = *reps
			}
			if *steps > 0 {
				s.Steps = *steps
			}
			sz = append(sz, s)
		}
		ms := splitList(*methodList)
		for _, m := range ms {
			if !strings.Contains(","+strings.Join(perf.Methods, ",")+",", ","+m+",") {
				return usageErrorf("--methods: unknown method %q (known: %s)", m, strings.Join(perf.Methods, ", "))
			}
		}
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("locate the bench binary: %w", err)
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return fmt.Errorf("output directory: %w", err)
		}
		work, err := os.MkdirTemp("", "bench-perf-")
		if err != nil {
			return fmt.Errorf("work directory: %w", err)
		}
		defer os.RemoveAll(work)
		logFile, err := os.Create(filepath.Join(*out, "children.log"))
		if err != nil {
			return fmt.Errorf("children's log: %w", err)
		}
		defer logFile.Close()

		ctx, stop := interruptContext()
		defer stop()
		rep := perf.NewReport(dev, *threads, *waitPolicy)
		if !skipped["throughput"] {
			r := &perf.Runner{Self: self, Python: *python, Env: perf.ThreadEnv(*threads, *waitPolicy), Log: logFile}
			if err := r.WriteScript(work); err != nil {
				return err
			}
			o := perf.CompareOptions{Sizes: sz, Methods: ms, Threads: *threads, Device: devName, BF16: *bf16, Progress: stderr}
			if *profile {
				o.ProfileDir = filepath.Join(*out, "profiles")
				if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
					return fmt.Errorf("profile directory: %w", err)
				}
			}
			if rep.Roofline, rep.Throughput, err = perf.MeasureThroughput(ctx, r, o); err != nil {
				return err
			}
		}
		if !skipped["overhead"] {
			only := []string(ovOnly)
			if len(only) == 0 {
				only = perf.DefaultOverheadCells
			}
			o := perf.OverheadOptions{Config: *ovConfig, Only: only, Threads: *threads, Device: devName, Dir: filepath.Join(work, "overhead"),
				Env: perf.ThreadEnv(*threads, *waitPolicy), Progress: stderr}
			if rep.Overhead, err = perf.MeasureOverhead(ctx, self, o); err != nil {
				return err
			}
		}
		if !skipped["memory"] {
			// One thread: the check is about leaks, and tiny steps on two threads of a busy
			// machine spend most of their time waiting for each other.
			o := perf.MemoryOptions{Steps: *memSteps, Threads: 1, Dir: filepath.Join(work, "memory"),
				Env: perf.ThreadEnv(1, *waitPolicy), Progress: stderr}
			if rep.Memory, err = perf.MeasureMemory(ctx, self, o); err != nil {
				return err
			}
		}
		rep.Finish(time.Now())
		md := rep.Markdown()
		if err := rep.Write(*out, md); err != nil {
			return err
		}
		fmt.Fprint(stdout, md)
		fmt.Fprintf(stderr, "perf: wrote %s and %s\n", filepath.Join(*out, "results.json"), filepath.Join(*out, "results.md"))
		var failed []string
		for _, t := range rep.Targets {
			if !t.Pass && (t.Check || *strict) {
				failed = append(failed, t.Name)
			}
		}
		if len(failed) > 0 {
			return fmt.Errorf("missed: %s", strings.Join(failed, "; "))
		}
		return nil
	}
}

// runPerfChild runs one measurement in this process and prints it as one JSON line.
func runPerfChild(kind string, args []string, stdout io.Writer) error {
	if kind != "ours" && kind != "gemm" {
		return usageErrorf("--child %q: want ours or gemm", kind)
	}
	if len(args) != 1 {
		return usageErrorf("--child %s takes one workload JSON argument", kind)
	}
	var m any
	var err error
	if kind == "gemm" {
		var w perf.GEMMWorkload
		if err := json.Unmarshal([]byte(args[0]), &w); err != nil {
			return fmt.Errorf("--child workload: %w", err)
		}
		m, err = perf.RunGEMMs(w)
	} else {
		var w perf.Workload
		if err := json.Unmarshal([]byte(args[0]), &w); err != nil {
			return fmt.Errorf("--child workload: %w", err)
		}
		m, err = perf.RunOurs(w)
	}
	if err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("--child: encode the measurement: %w", err)
	}
	_, err = fmt.Fprintln(stdout, string(b))
	return err
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
