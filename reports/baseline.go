package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/clue-bench/clue-bench/internal/atomicfile"
	"github.com/clue-bench/clue-bench/internal/jsonerr"
)

// BaselineSchema is bumped when the baseline file changes incompatibly.
const BaselineSchema = 1

// Gate defaults: a change must exceed 3 pooled seed standard deviations and at least one
// point (of a metric in %) to count.
const (
	DefaultZ     = 3.0
	DefaultFloor = 1.0
)

// Baseline is a results summary to compare later runs against.
type Baseline struct {
	Schema  int             `json:"schema"`
	Z       float64         `json:"z"`
	Floor   float64         `json:"floor"` // absolute points
	Results string          `json:"results"`
	Entries []BaselineEntry `json:"entries"`
}

// BaselineEntry is one (setting, task, method, metric) over seeds.
type BaselineEntry struct {
	Key
	Metric         string `json:"metric"`
	HigherIsBetter bool   `json:"higher_is_better"`
	Summary
	// Seeds are the seeds summarised, so that the gate can tell when it compares different
	// seeds; absent in baselines written before it was recorded (see seedsWarning).
	Seeds []int64 `json:"seeds,omitempty"`
}

// NewBaseline summarises every metric of every group.
func NewBaseline(set *Set, z, floor float64) (*Baseline, error) {
	if z < 0 || floor < 0 || math.IsNaN(z) || math.IsNaN(floor) {
		return nil, fmt.Errorf("baseline: z (%g) and floor (%g) must not be negative", z, floor)
	}
	b := &Baseline{Schema: BaselineSchema, Z: z, Floor: floor, Results: set.Dir, Entries: entries(Aggregate(set.OK))}
	return b, nil
}

func entries(groups []*Group) []BaselineEntry {
	var out []BaselineEntry
	for _, g := range groups {
		for _, m := range g.Metrics {
			if s := g.Summary(m.Name); s.N > 0 {
				out = append(out, BaselineEntry{Key: g.Key, Metric: m.Name, HigherIsBetter: m.HigherIsBetter, Summary: s, Seeds: g.seeds(m.Name)})
			}
		}
	}
	return out
}

// WriteBaseline writes b as JSON to path.
func WriteBaseline(path string, b *Baseline) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("baseline %s: %w", path, err)
	}
	return atomicfile.Write(path, append(data, '\n'))
}

// ReadBaseline reads a baseline file, rejecting unknown fields and other schemas.
func ReadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Baseline
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, jsonerr.WithLine(data, err))
	}
	if b.Schema != BaselineSchema {
		return nil, fmt.Errorf("baseline %s: field schema: %d, this build reads %d", path, b.Schema, BaselineSchema)
	}
	if b.Z < 0 || b.Floor < 0 {
		return nil, fmt.Errorf("baseline %s: fields z and floor must not be negative", path)
	}
	seen := map[string]bool{}
	for i, e := range b.Entries {
		k := e.Key.String() + "/" + e.Metric
		if e.Task == "" || e.Method == "" || e.Setting == "" || e.Metric == "" {
			return nil, fmt.Errorf("baseline %s: entries[%d]: setting, task, method and metric are required", path, i)
		}
		if seen[k] {
			return nil, fmt.Errorf("baseline %s: entries[%d]: %s repeated", path, i, k)
		}
		seen[k] = true
	}
	return &b, nil
}

// Verdicts of a comparison.
const (
	Regressed = "regressed"
	Improved  = "improved"
	Same      = "~" // within the noise threshold
)

// Delta compares one baseline entry with the current results.
type Delta struct {
	BaselineEntry
	Current   Summary `json:"current"`
	Change    float64 `json:"change"`    // current − baseline mean, signed so that > 0 is better
	Threshold float64 `json:"threshold"` // max(floor, z × pooled std)
	Verdict   string  `json:"verdict"`
	FewSeeds  bool    `json:"few_seeds"` // n < 2 on a side: the threshold is the floor alone
}

// Comparison is the outcome of comparing results with a baseline.
type Comparison struct {
	Deltas   []Delta
	Warnings []string // missing cells, new cells, too few seeds
}

// Compare checks current results against b. A metric regressed when its mean dropped, in its
// better direction, by more than
//
//	threshold = max(floor, z × s_p),  s_p = sqrt(((n_b−1)·s_b² + (n_c−1)·s_c²) / (n_b + n_c − 2))
//
// where s_b, n_b and s_c, n_c are the baseline's and the current seeds' sample std and count
// (PooledStd). It improved when it rose by more than the threshold, and is "~" otherwise. With
// fewer than two seeds on either side there is no estimate of seed noise, so the threshold is
// the floor alone and a warning says so.
func Compare(b *Baseline, cur *Set) *Comparison {
	c := &Comparison{}
	now := map[string]BaselineEntry{}
	for _, e := range entries(Aggregate(cur.OK)) {
		now[e.Key.String()+"/"+e.Metric] = e
	}
	seen := map[string]bool{}
	fewSeeds := map[string]bool{}
	for _, e := range b.Entries {
		k := e.Key.String() + "/" + e.Metric
		seen[k] = true
		n, ok := now[k]
		if !ok {
			c.Warnings = append(c.Warnings, fmt.Sprintf("missing: %s metric %s is in the baseline but has no ok cells now", e.Key, e.Metric))
			continue
		}
		if wn := seedsWarning(e, n); wn != "" {
			c.Warnings = append(c.Warnings, wn)
		}
		d := Delta{BaselineEntry: e, Current: n.Summary, Change: n.Mean - e.Mean}
		if !e.HigherIsBetter {
			d.Change = -d.Change
		}
		d.Threshold = b.Floor
		if e.N < 2 || n.N < 2 {
			d.FewSeeds = true
			if !fewSeeds[e.Key.String()] {
				fewSeeds[e.Key.String()] = true
				c.Warnings = append(c.Warnings, fmt.Sprintf("too few seeds: %s has %d baseline and %d current seeds; using the floor %g alone", e.Key, e.N, n.N, b.Floor))
			}
		} else {
			d.Threshold = math.Max(b.Floor, b.Z*PooledStd(e.Summary, n.Summary))
		}
		switch {
		case -d.Change > d.Threshold:
			d.Verdict = Regressed
		case d.Change > d.Threshold:
			d.Verdict = Improved
		default:
			d.Verdict = Same
		}
		c.Deltas = append(c.Deltas, d)
	}
	var added []string
	for k := range now {
		if !seen[k] {
			added = append(added, k)
		}
	}
	sort.Strings(added)
	for _, k := range added {
		c.Warnings = append(c.Warnings, fmt.Sprintf("new: %s is not in the baseline", k))
	}
	return c
}

// Count returns how many deltas have the verdict.
func (c *Comparison) Count(verdict string) int {
	n := 0
	for _, d := range c.Deltas {
		if d.Verdict == verdict {
			n++
		}
	}
	return n
}

// RegressionError reports that a comparison found regressions; the CLI exits 1 on it.
type RegressionError struct{ N int }

func (e *RegressionError) Error() string {
	return fmt.Sprintf("%d metric(s) regressed beyond the noise threshold", e.N)
}

// Err is a *RegressionError when any metric regressed, else nil.
func (c *Comparison) Err() error {
	if n := c.Count(Regressed); n > 0 {
		return &RegressionError{N: n}
	}
	return nil
}

// WriteTable prints the regressions and improvements (every delta when all is set) as a table,
// then a one-line count.
func (c *Comparison) WriteTable(w io.Writer, all bool) error {
	// Baselines of several backbones name each entry's backbone in a first column.
	multi := false
	for _, d := range c.Deltas {
		multi = multi || d.Backbone != ""
	}
	var rows [][]string
	for _, d := range c.Deltas {
		if d.Verdict == Same && !all {
			continue
		}
		thr := fmt.Sprintf("%.2f", d.Threshold)
		if d.FewSeeds {
			thr += " (floor; few seeds)"
		}
		row := []string{d.Setting, TaskName(d.Task), MethodName(d.Method), d.Metric,
			markdownStyle.summary(d.Summary), markdownStyle.summary(d.Current), fmt.Sprintf("%+.2f", d.Change), thr, d.Verdict}
		if multi {
			row = append([]string{d.Backbone}, row...)
		}
		rows = append(rows, row)
	}
	if len(rows) > 0 {
		header := []string{"Setting", "Task", "Method", "Metric", "Baseline", "Current", "Change (+ = better)", "Threshold", "Verdict"}
		if multi {
			header = append([]string{"Backbone"}, header...)
		}
		if err := renderMarkdown(w, header, rows); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%d regressed, %d improved, %d within noise (~), %d warnings\n",
		c.Count(Regressed), c.Count(Improved), c.Count(Same), len(c.Warnings))
	return err
}
