package main

import (
	"fmt"
	"io"

	"github.com/clue-bench/clue-bench/reports"
)

func init() {
	register(&command{
		name:  "baseline",
		usage: "--results DIR --out baseline.json [--z 3] [--floor 1.0]",
		summary: `record a results directory as the baseline for bench compare
Stores, per setting, task, method and metric, the mean, sample std and number of seeds, with
the gate's parameters: a later change counts only beyond max(floor, z × pooled seed std).`,
		run: runBaseline,
	})
}

func runBaseline(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("baseline", stderr)
	results := fs.String("results", "", "results directory (as written by bench run)")
	out := fs.String("out", "", "baseline file to write")
	z := fs.Float64("z", reports.DefaultZ, "pooled seed standard deviations a change must exceed")
	floor := fs.Float64("floor", reports.DefaultFloor, "smallest change that counts, in points of the metric")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("unexpected arguments %q", fs.Args())}
	}
	if *results == "" || *out == "" {
		return &exitError{code: 2, msg: "--results and --out are required"}
	}
	set, err := reports.Load(*results)
	if err != nil {
		return err
	}
	b, err := reports.NewBaseline(set, *z, *floor)
	if err != nil {
		return err
	}
	if len(b.Entries) == 0 {
		return fmt.Errorf("results %s: no ok cells to record", *results)
	}
	if err := reports.WriteBaseline(*out, b); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bench baseline: %d entries from %d ok cells (%d failed cells left out) in %s\n",
		len(b.Entries), len(set.OK), len(set.Failed), *out)
	return nil
}
