package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/clue-bench/clue-bench/miniclue"
)

func init() {
	registerData(&command{
		name:    "gen",
		usage:   "--out DIR [--seed N] [--scale F] [--tasks a,b]",
		summary: "write the built-in mini-CLUE (CLUE/FewCLUE layouts, corpus.txt, MANIFEST.json); same flags, same bytes",
		run:     runDataGen,
	})
}

func runDataGen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("data gen", stderr)
	out := fs.String("out", "", "output directory (created if missing)")
	seed := fs.Int64("seed", 1, "generator seed")
	scale := fs.Float64("scale", 1, "size multiplier for train/dev/test files and corpus.txt (FewCLUE folds keep their sizes)")
	taskList := fs.String("tasks", "", "comma-separated tasks (default all): "+strings.Join(miniclue.TaskNames(), ", "))
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: 2} // the flag package has printed the problem
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *out == "" {
		return &exitError{code: 2, msg: "--out is required"}
	}
	if *scale <= 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("--scale must be positive, got %v", *scale)}
	}
	o := miniclue.Options{Seed: *seed, Scale: *scale}
	known := miniclue.TaskNames()
	for _, name := range strings.Split(*taskList, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if !slices.Contains(known, name) {
			return &exitError{code: 2, msg: fmt.Sprintf("unknown task %q (have %s)", name, strings.Join(known, ", "))}
		}
		o.Tasks = append(o.Tasks, name)
	}
	start := time.Now()
	m, err := miniclue.Generate(*out, o)
	if err != nil {
		return fmt.Errorf("generate into %s: %w", *out, err)
	}
	for _, line := range m.Summary() {
		fmt.Fprintln(stdout, line)
	}
	fmt.Fprintf(stdout, "%s: seed %d, scale %g, %d files, generator v%d (%.1fs)\n",
		*out, m.Seed, m.Scale, len(m.Files), m.Version, time.Since(start).Seconds())
	return nil
}
