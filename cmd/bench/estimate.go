package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
)

// refTokens is the step shape a --steps-per-s rate is given for: a batch of 32 sequences of
// 128 tokens, one micro-batch a step (the paper's classification tasks).
const refTokens = 32 * 128

// rateKey is what a measured training rate is kept by.
type rateKey struct{ backbone, task, method string }

// rate is steps and training seconds summed over measured cells of one key, with the step
// shape they share.
type rate struct {
	steps  int
	trainS float64
	tokens float64
}

func (r rate) perS() float64 { return float64(r.steps) / r.trainS }

// estimator turns a cell's optimiser steps into an estimated training time on one device of a
// named class: from the training steps/s that this binary measured on that class (result
// files whose device or device name matches it, e.g. from a `bench run --limit` probe), or
// from a --steps-per-s override.
type estimator struct {
	class    string
	override float64 // steps/s of a refTokens step; 0 = use measurements
	rates    map[rateKey]*rate
}

// tokensPerStep is a cell's padded sequence positions per optimiser step: batch × accumulate
// × max_len. It scales a rate measured on another task's shape; multiple-choice tasks encode
// each candidate as a sequence, so a rate measured on the task itself is preferred.
func tokensPerStep(c plan.Cell) float64 {
	return float64(c.Hyper.BatchSize * c.Hyper.Accumulate * c.Hyper.MaxLen)
}

// matchesClass reports whether a result ran on the device class: its device ("cpu", "cuda")
// equals the class, or its device name (e.g. "NVIDIA H100 80GB HBM3") contains it, ignoring
// case.
func matchesClass(p results.Provenance, class string) bool {
	c := strings.ToLower(strings.TrimSpace(class))
	return c != "" && (strings.ToLower(p.Device) == c || strings.Contains(strings.ToLower(p.DeviceName), c))
}

// newEstimator collects the measured training rates of ok results on the class from dirs.
func newEstimator(class string, override float64, dirs []string) (*estimator, error) {
	e := &estimator{class: class, override: override, rates: map[rateKey]*rate{}}
	if override > 0 {
		return e, nil
	}
	for _, d := range dirs {
		rs, err := (&results.Store{Dir: d}).All()
		if err != nil {
			return nil, fmt.Errorf("rates from %s: %w", d, err)
		}
		for _, r := range rs {
			if r.Status != results.ResultOK || r.Steps <= 0 || r.Time.TrainS <= 0 || !matchesClass(r.Provenance, class) {
				continue
			}
			k := rateKey{r.Cell.BackboneName, r.Cell.Task, r.Cell.Method}
			x := e.rates[k]
			if x == nil {
				x = &rate{tokens: tokensPerStep(r.Cell)}
				e.rates[k] = x
			}
			if x.tokens != tokensPerStep(r.Cell) {
				continue // another shape of the same task (a setting's override): keep the first
			}
			x.steps += r.Steps
			x.trainS += r.Time.TrainS
		}
	}
	return e, nil
}

// estimate returns a cell's estimated training seconds for steps optimiser steps and what the
// estimate rests on; ok is false when nothing measured applies.
func (e *estimator) estimate(c plan.Cell, steps int) (seconds float64, basis string, ok bool) {
	tokens := tokensPerStep(c)
	if e.override > 0 {
		return float64(steps) / (e.override * refTokens / tokens), "--steps-per-s", true
	}
	if r := e.rates[rateKey{c.BackboneName, c.Task, c.Method}]; r != nil {
		return float64(steps) / r.perS(), "measured", true
	}
	// The same task and method on another backbone, then another task on this backbone and
	// method scaled by the step's size, then any backbone.
	var best *rate
	bestBasis := ""
	for k, r := range e.rates {
		if k.method != c.Method {
			continue
		}
		var b string
		switch {
		case k.task == c.Task:
			b = "measured on " + k.backbone
		case k.backbone == c.BackboneName:
			b = "scaled from " + k.task
		default:
			b = "scaled from " + k.backbone + "/" + k.task
		}
		if best == nil || basisRank(b) < basisRank(bestBasis) || (basisRank(b) == basisRank(bestBasis) && b < bestBasis) {
			best, bestBasis = r, b
		}
	}
	if best == nil {
		return 0, "", false
	}
	perS := best.perS() * best.tokens / tokens
	if strings.HasPrefix(bestBasis, "measured on") {
		perS = best.perS()
	}
	return float64(steps) / perS, bestBasis, true
}

func basisRank(b string) int {
	switch {
	case strings.HasPrefix(b, "measured on"):
		return 0
	case strings.HasPrefix(b, "scaled from") && !strings.Contains(b, "/"):
		return 1
	}
	return 2
}

// fmtDuration prints seconds as 45s, 12m, 3h05m or 2d04h.
func fmtDuration(s float64) string {
	switch {
	case s < 60:
		return fmt.Sprintf("%.0fs", s)
	case s < 3600:
		return fmt.Sprintf("%.0fm", s/60)
	case s < 48*3600:
		h := math.Floor(s / 3600)
		return fmt.Sprintf("%.0fh%02.0fm", h, math.Floor((s-h*3600)/60))
	}
	d := math.Floor(s / 86400)
	return fmt.Sprintf("%.0fd%02.0fh", d, math.Floor((s-d*86400)/3600))
}

// estimateTotal is the plan's closing line: the estimated hours on one device of the class,
// for the whole matrix and for the cells not done, and the cells without an estimate.
func estimateTotal(e *estimator, rows []planRow) string {
	var all, todo float64
	var missing, nTodo int
	for _, r := range rows {
		if r.EstimatedS == nil {
			missing++
			continue
		}
		all += *r.EstimatedS
		if r.Status != results.StatusDone {
			todo += *r.EstimatedS
			nTodo++
		}
	}
	on := "one " + e.class + " device"
	if e.class == "" {
		on = "one device"
	}
	if e.override > 0 {
		on += fmt.Sprintf(" at %g steps/s (32 × 128-token steps)", e.override)
	} else {
		on += " at the steps/s measured there"
	}
	line := fmt.Sprintf("estimated training time on %s: %.1f device-hours (GPU-hours on one GPU) for %d cells, %.1f for the %d not done",
		on, all/3600, len(rows)-missing, todo/3600, nTodo)
	if missing > 0 {
		line += fmt.Sprintf("; %d cells have no estimate (no rate measured for their method on this class, or unreadable data): run a probe or give --steps-per-s", missing)
	}
	return line
}
