package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/clue-bench/clue-bench/reports"
)

func init() {
	register(&command{
		name: "compare",
		summary: `compare results with a baseline and fail (exit 1) on a regression beyond seed noise
A metric regressed when its mean dropped, in its better direction, by more than
max(floor, z × s_p), s_p = sqrt(((n_b−1)·s_b² + (n_c−1)·s_c²) / (n_b + n_c − 2)) the pooled
seed std of baseline (b) and current (c) runs; improved when it rose by as much; "~" otherwise.
With fewer than two seeds on a side the floor alone applies, with a warning. Cells missing
from the current results are warnings, not failures.`,
		required: []string{"baseline", "results"},
		flags:    compareFlags,
	})
}

func compareFlags(fs *flag.FlagSet) action {
	basePath := fs.String("baseline", "", "baseline `FILE` written by bench baseline")
	results := fs.String("results", "", "results `DIR` to check")
	all := fs.Bool("all", false, "list unchanged (~) metrics too")
	return func(_ []string, stdout, stderr io.Writer) error {
		b, err := reports.ReadBaseline(*basePath)
		if err != nil {
			return err
		}
		set, err := reports.Load(*results)
		if err != nil {
			return err
		}
		cmp := reports.Compare(b, set)
		for _, w := range cmp.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		if err := cmp.WriteTable(stdout, *all); err != nil {
			return err
		}
		var reg *reports.RegressionError
		if err := cmp.Err(); errors.As(err, &reg) {
			return err
		}
		return nil
	}
}
