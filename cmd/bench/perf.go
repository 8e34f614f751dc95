package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/perf"
)

func init() {
	register(&command{
		name: "perf",
		usage: "[--sizes builtin,base] [--methods M,...] [--device cpu|cuda[:N]] [--threads N] [--reps N] [--steps N] [--out DIR] [--profile] [--bf16]\n" +
			"           [--overhead-config FILE] [--overhead-only GLOB]... [--memory-steps N] [--skip throughput,overhead,memory] [--strict]",
		summary: `measure training speed against PyTorch eager on the same libtorch, the runner's overhead and memory
Throughput: steps/s of our training step and of perf/reference.py (eager PyTorch, same model,
methods, shapes, threads and BLAS), alternating repetitions, medians and their ratio, peak RSS.
With --device cuda both sides train on the GPU (LIBTORCH must be a CUDA libtorch, and --python a
Python whose torch uses it) and synchronise the device before every clock read.
Overhead: real cells through 'bench run'; 1 - train_s/wall_s from their results. Memory: RSS of
a 'bench run' process over 5,000 steps of tiny cells must stay within ±5% after warm-up.
Writes DIR/results.json and DIR/results.md and prints the table. Exit status 1 when the two
sides are not comparable or memory is not flat; with --strict also when a target is missed.`,
		run: runPerf,
	})
}

func runPerf(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("perf", stderr)
	child := fs.String("child", "", "internal: run one measurement in this process (ours)")
	sizes := fs.String("sizes", "builtin,base", "model sizes: "+strings.Join(perf.SizeNames(), ", "))
	methodList := fs.String("methods", strings.Join(perf.Methods, ","), "methods to measure")
	device := fs.String("device", "cpu", "where both sides train: cpu, cuda or cuda:N (also passed to the overhead cells)")
	threads := fs.Int("threads", 0, "libtorch (and OpenBLAS) threads on both sides; 0 = all logical cores")
	reps := fs.Int("reps", 0, "repetitions per side (0 = the size's default)")
	steps := fs.Int("steps", 0, "timed steps per repetition (0 = the size's default)")
	out := fs.String("out", filepath.Join("build", "perf"), "output directory")
	bf16 := fs.Bool("bf16", false, "also measure our P-tuning v2 and FL-tuning with the frozen backbone in bf16")
	profile := fs.Bool("profile", false, "write a pprof CPU profile of our side per workload to DIR/profiles")
	waitPolicy := fs.String("omp-wait-policy", "passive", "OMP_WAIT_POLICY for every child (passive: idle OpenMP threads sleep; empty: inherit)")
	python := fs.String("python", "/usr/bin/python3", "Python with torch (Debian's python3-torch) for the reference")
	ovConfig := fs.String("overhead-config", "experiments.yaml", "config whose cells measure the runner's overhead")
	var ovOnly multiFlag
	fs.Var(&ovOnly, "overhead-only", "cells of --overhead-config to run (glob, repeatable; default "+strings.Join(perf.DefaultOverheadCells, ", ")+")")
	memSteps := fs.Int("memory-steps", 5000, "steps per cell of the memory check")
	skip := fs.String("skip", "", "parts to skip: throughput, overhead, memory (comma-separated)")
	strict := fs.Bool("strict", false, "exit 1 when a target is missed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *child != "" {
		return runPerfChild(*child, fs.Args(), stdout)
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("unexpected arguments %q", fs.Args())}
	}
	if *threads <= 0 {
		*threads = runtime.NumCPU()
	}
	dev, err := torchrt.ParseDevice(*device)
	if err != nil {
		return &exitError{code: 2, msg: "--device: " + err.Error()}
	}
	if strings.EqualFold(strings.TrimSpace(*device), "auto") {
		return &exitError{code: 2, msg: "--device: name cpu or cuda[:N]; a comparison should not depend on what the machine has"}
	}
	devName := torchrt.DeviceString(dev)
	skipped := map[string]bool{}
	for _, s := range splitList(*skip) {
		if s != "throughput" && s != "overhead" && s != "memory" {
			return &exitError{code: 2, msg: fmt.Sprintf("--skip %q: want throughput, overhead or memory", s)}
		}
		skipped[s] = true
	}
	var sz []perf.Size
	for _, n := range splitList(*sizes) {
		s, err := perf.LookupSize(n)
		if err != nil {
			return err
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
			return &exitError{code: 2, msg: fmt.Sprintf("--methods: unknown method %q (known: %s)", m, strings.Join(perf.Methods, ", "))}
		}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("perf: locating the bench binary: %w", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("perf: %w", err)
	}
	work, err := os.MkdirTemp("", "bench-perf-")
	if err != nil {
		return fmt.Errorf("perf: %w", err)
	}
	defer os.RemoveAll(work)
	logFile, err := os.Create(filepath.Join(*out, "children.log"))
	if err != nil {
		return fmt.Errorf("perf: %w", err)
	}
	defer logFile.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
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
				return fmt.Errorf("perf: %w", err)
			}
		}
		if rep.Throughput, err = perf.Compare(ctx, r, o); err != nil {
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
		return &exitError{code: 1, msg: "missed: " + strings.Join(failed, "; ")}
	}
	return nil
}

// runPerfChild runs one measurement in this process and prints it as one JSON line.
func runPerfChild(kind string, args []string, stdout io.Writer) error {
	if kind != "ours" {
		return &exitError{code: 2, msg: fmt.Sprintf("--child %q: want ours", kind)}
	}
	if len(args) != 1 {
		return &exitError{code: 2, msg: "--child ours takes one workload JSON argument"}
	}
	var w perf.Workload
	if err := json.Unmarshal([]byte(args[0]), &w); err != nil {
		return fmt.Errorf("perf child: workload: %w", err)
	}
	m, err := perf.RunOurs(w)
	if err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return errors.Join(errors.New("perf child: encoding the measurement"), err)
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
