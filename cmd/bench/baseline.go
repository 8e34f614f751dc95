package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/clue-bench/clue-bench/reports"
)

func init() {
	register(&command{
		name: "baseline",
		summary: `record a results directory as the baseline for bench compare
Stores, per setting, task, method and metric, the mean, sample std and number of seeds, with
the gate's parameters: a later change counts only beyond max(floor, z × pooled seed std).`,
		required: []string{"results", "out"},
		flags:    baselineFlags,
	})
}

func baselineFlags(fs *flag.FlagSet) action {
	results := fs.String("results", "", "results `DIR` (as written by bench run)")
	out := fs.String("out", "", "baseline `FILE` to write (e.g. baseline.json)")
	z := fs.Float64("z", reports.DefaultZ, "pooled seed standard deviations a change must exceed")
	floor := fs.Float64("floor", reports.DefaultFloor, "smallest change that counts, in points of the metric")
	return func(_ []string, stdout, stderr io.Writer) error {
		if err := firstError(finiteAtLeast("z", *z, 0, false), finiteAtLeast("floor", *floor, 0, false)); err != nil {
			return err
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
}
