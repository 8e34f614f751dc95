package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/clue-bench/clue-bench/bench/results"
)

// Set is a results directory's cells, split by status.
type Set struct {
	Dir    string
	OK     []*results.Result
	Failed []*results.Result
	// Dev holds the per-example dev statistics of the ok results that recorded them, by cell
	// key (see bootstrap.go); DevWarnings name the files that could not be used.
	Dev         map[string]*DevRows
	DevWarnings []string
}

// Load reads every result in a results directory (as written by results.Store), and the
// per-example dev statistics the ok ones name.
func Load(dir string) (*Set, error) {
	cells := filepath.Join(dir, "cells")
	if st, err := os.Stat(cells); err != nil {
		return nil, fmt.Errorf("results %s: %w", dir, err)
	} else if !st.IsDir() { // a file there would read as a directory of no results
		return nil, fmt.Errorf("results %s: %s is not a directory", dir, cells)
	}
	rs, err := (&results.Store{Dir: dir}).All()
	if err != nil {
		return nil, fmt.Errorf("results %s: %w", dir, err)
	}
	s, err := NewSet(dir, rs)
	if err != nil {
		return nil, err
	}
	s.Dev, s.DevWarnings = loadDevStats(dir, s.OK)
	return s, nil
}

// NewSet sorts results by status, rejecting ones a report cannot use.
func NewSet(dir string, rs []*results.Result) (*Set, error) {
	s := &Set{Dir: dir}
	for _, r := range rs {
		file := filepath.Join(dir, "cells", r.Cell.Key()+".json")
		switch r.Status {
		case results.ResultOK:
			if len(r.Metrics) == 0 {
				return nil, fmt.Errorf("%s: field metrics: status ok but no metrics", file)
			}
			if _, _, ok := r.Headline(); !ok {
				return nil, fmt.Errorf("%s: field best_dev: no value for headline metric %q", file, r.Metrics[0].Name)
			}
			s.OK = append(s.OK, r)
		case results.ResultFailed:
			s.Failed = append(s.Failed, r)
		default:
			return nil, fmt.Errorf("%s: field status: %q, want %q or %q", file, r.Status, results.ResultOK, results.ResultFailed)
		}
	}
	return s, nil
}

// Key identifies a group of cells that differ only by seed. Backbone is the backbone's name
// for cells of a config with several backbones, and empty otherwise (omitempty: baselines of
// one backbone read and write as before).
type Key struct {
	Backbone string `json:"backbone,omitempty"`
	Setting  string `json:"setting"`
	Task     string `json:"task"`
	Method   string `json:"method"`
	// Grid is the grid point (plan.Cell.Grid) where the config's hyper-parameters are lists;
	// omitempty: groups and baselines of configs without lists read and write as before, and
	// the gate compares a grid point only with the same point.
	Grid string `json:"grid,omitempty"`
}

func (k Key) String() string {
	s := withBackbone(k.Backbone, k.Task+"/"+k.Method+"/"+k.Setting)
	if k.Grid != "" {
		s += "@" + k.Grid
	}
	return s
}

// withBackbone puts a backbone's name in front of a slash-separated label, as cell names
// have it; the label of a cell that names no backbone is left as it is.
func withBackbone(backbone, label string) string {
	if backbone == "" {
		return label
	}
	return backbone + "/" + label
}

// severalBackbones reports whether groups come from a matrix of several backbones, whose
// tables and listings then name each group's backbone.
func severalBackbones(groups []*Group) bool {
	for _, g := range groups {
		if g.Backbone != "" {
			return true
		}
	}
	return false
}

// Group is the ok cells of one (setting, task, method), ordered by seed.
type Group struct {
	Key
	Split   string
	Metrics []results.Metric // the first cell's; the first is the headline
	Cells   []*results.Result
}

// Headline is the group's headline metric.
func (g *Group) Headline() results.Metric { return g.Metrics[0] }

// Summary summarises a metric's best dev value over the group's seeds; seeds whose result
// lacks the metric are left out.
func (g *Group) Summary(metric string) Summary {
	var xs []float64
	for _, r := range g.Cells {
		if v, ok := r.Best[metric]; ok {
			xs = append(xs, v)
		}
	}
	return Summarize(xs)
}

// TrainablePct is the range of trainable-parameter percentages over the group's seeds; heads
// are the same across seeds, so lo == hi unless the runs differ in configuration.
func (g *Group) TrainablePct() (lo, hi float64) {
	for i, r := range g.Cells {
		p := 100 * r.Params.Ratio
		if i == 0 || p < lo {
			lo = p
		}
		if i == 0 || p > hi {
			hi = p
		}
	}
	return lo, hi
}

// Flags counts, per flag, the seeds that carry it.
func (g *Group) Flags() map[string]int {
	m := map[string]int{}
	for _, r := range g.Cells {
		for _, f := range r.Flags {
			m[f]++
		}
	}
	return m
}

// Aggregate groups ok results by (backbone, setting, task, method, grid point), ordered by backbone (in
// the paper's order), regime (full data first), setting name, task and method in the paper's
// order.
func Aggregate(ok []*results.Result) []*Group {
	byKey := map[Key]*Group{}
	var groups []*Group
	for _, r := range ok {
		k := Key{Backbone: r.Cell.BackboneName, Setting: r.Cell.Setting, Task: r.Cell.Task, Method: r.Cell.Method, Grid: r.Cell.Grid}
		g := byKey[k]
		if g == nil {
			g = &Group{Key: k, Split: r.Cell.Split, Metrics: r.Metrics}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.Cells = append(g.Cells, r)
	}
	for _, g := range groups {
		sort.SliceStable(g.Cells, func(i, j int) bool { return g.Cells[i].Cell.Seed < g.Cells[j].Cell.Seed })
	}
	tasks, methods := names(groups, func(g *Group) string { return g.Task }), names(groups, func(g *Group) string { return g.Method })
	backbones := names(groups, func(g *Group) string { return g.Backbone })
	sortByOrder(tasks, taskOrder)
	sortByOrder(methods, methodOrder)
	sortByOrder(backbones, backboneOrder)
	rank := func(xs []string, x string) int {
		for i, y := range xs {
			if y == x {
				return i
			}
		}
		return len(xs)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.Backbone != b.Backbone {
			return rank(backbones, a.Backbone) < rank(backbones, b.Backbone)
		}
		if ra, rb := Regime(a.Split), Regime(b.Split); ra != rb {
			return ra == RegimeFull
		}
		if a.Setting != b.Setting {
			return a.Setting < b.Setting
		}
		if a.Task != b.Task {
			return rank(tasks, a.Task) < rank(tasks, b.Task)
		}
		return rank(methods, a.Method) < rank(methods, b.Method)
	})
	return groups
}

// names lists the distinct values of f over groups, in first-seen order.
func names(groups []*Group, f func(*Group) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, g := range groups {
		if n := f(g); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// firstLine is an error message's first line, for one-line listings.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
