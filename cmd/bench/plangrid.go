package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/clue-bench/clue-bench/bench/plan"
)

// planGridSummary says, for a config whose hyper-parameters include lists, how large the grid
// is and how many optimiser steps the listed cells take in all, so that a sweep's cost is
// seen before anything runs. A config without lists prints nothing more than before.
func planGridSummary(w io.Writer, cfg *plan.Config, rows []planRow) {
	axes := cfg.GridAxes()
	if len(axes) == 0 {
		return
	}
	points, combos := cfg.GridSize()
	total, unknown := 0, 0
	for _, r := range rows {
		if r.Steps < 0 {
			unknown++
			continue
		}
		total += r.Steps
	}
	fmt.Fprintf(w, "grid: %d points over %d task/method/setting combinations (%s)\n", points, combos, strings.Join(axes, ", "))
	if unknown > 0 {
		fmt.Fprintf(w, "steps: %d in all over the listed cells; %d cell(s) not counted (training data not readable yet)\n", total, unknown)
		return
	}
	fmt.Fprintf(w, "steps: %d in all over the listed cells\n", total)
}
