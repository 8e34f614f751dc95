package reports

import (
	"sort"
	"strconv"
	"strings"

	"github.com/clue-bench/clue-bench/bench/results"
)

// Grid selection. Where a config's hyper-parameters are lists, each (backbone, setting, task,
// method) has several grid points (plan.Cell.Grid); a fair report compares each method at
// its own best point, chosen the same way for every method. Select chooses by the mean
// headline dev score over seeds (Result.Best, the best dev evaluation of each run): it reads
// nothing else, so a test score cannot influence the choice. Only points with the most seeds
// of their combination compete, so that a point is not chosen because seeds failed there.
// Ties go to the earlier point in grid order. A point's labelled test score (Result.Test, the
// best-dev weights on FewCLUE's test_public.json) is summarised beside its dev score for the
// report, after the choice.

// GridPoint is one grid point of a combination: its headline dev score over seeds, and its
// headline test score over the seeds that recorded one (N 0: none did).
type GridPoint struct {
	Grid  string
	Dev   Summary
	Seeds int
	Test  Summary
}

// Selection is the grid points of one (backbone, setting, task, method) and the one chosen;
// Key.Grid is the chosen point.
type Selection struct {
	Key
	Split  string
	Metric results.Metric // the headline
	Points []GridPoint    // in grid order (values ascending, first axis outermost)
	Chosen int            // index into Points
}

// Values are the chosen point's values, "lr=0.001, batch_size=16".
func (s *Selection) Values() string { return strings.ReplaceAll(s.Grid, ",", ", ") }

// Select returns the ok results at each combination's chosen grid point and the selections,
// in the results' order. Results without grid points are returned as they are, with no
// selections: a report of a config without lists is unchanged.
func Select(ok []*results.Result) ([]*results.Result, []*Selection) {
	grid := false
	for _, r := range ok {
		grid = grid || r.Cell.Grid != ""
	}
	if !grid {
		return ok, nil
	}
	type combo struct {
		sel          *Selection
		byGrid, test map[string][]float64
	}
	combos := map[Key]*combo{}
	var order []Key
	for _, r := range ok {
		k := Key{Backbone: r.Cell.BackboneName, Setting: r.Cell.Setting, Task: r.Cell.Task, Method: r.Cell.Method}
		c := combos[k]
		if c == nil {
			c = &combo{sel: &Selection{Key: k, Split: r.Cell.Split, Metric: r.Metrics[0]}, byGrid: map[string][]float64{}, test: map[string][]float64{}}
			combos[k] = c
			order = append(order, k)
		}
		if _, v, ok := r.Headline(); ok {
			c.byGrid[r.Cell.Grid] = append(c.byGrid[r.Cell.Grid], v)
		} else if c.byGrid[r.Cell.Grid] == nil {
			c.byGrid[r.Cell.Grid] = []float64{}
		}
		if v, ok := r.Test[r.Metrics[0].Name]; ok {
			c.test[r.Cell.Grid] = append(c.test[r.Cell.Grid], v)
		}
	}
	var sels []*Selection
	chosen := map[Key]string{}
	for _, k := range order {
		c := combos[k]
		s := c.sel
		grids := make([]string, 0, len(c.byGrid))
		for g := range c.byGrid {
			grids = append(grids, g)
		}
		sort.Slice(grids, func(i, j int) bool { return gridLess(grids[i], grids[j]) })
		most := 0
		for _, g := range grids {
			xs := c.byGrid[g]
			s.Points = append(s.Points, GridPoint{Grid: g, Dev: Summarize(xs), Seeds: len(xs), Test: Summarize(c.test[g])})
			most = max(most, len(xs))
		}
		s.Chosen = -1
		for i, p := range s.Points {
			if p.Seeds != most || p.Seeds == 0 {
				continue
			}
			if s.Chosen < 0 || results.Better(p.Dev.Mean, s.Points[s.Chosen].Dev.Mean, s.Metric.HigherIsBetter) {
				s.Chosen = i
			}
		}
		s.Grid = s.Points[s.Chosen].Grid
		chosen[k] = s.Grid
		sels = append(sels, s)
	}
	var kept []*results.Result
	for _, r := range ok {
		k := Key{Backbone: r.Cell.BackboneName, Setting: r.Cell.Setting, Task: r.Cell.Task, Method: r.Cell.Method}
		if r.Cell.Grid == chosen[k] {
			kept = append(kept, r)
		}
	}
	return kept, sels
}

// gridValues splits a grid point into its keys and values.
func gridValues(g string) (keys, vals []string) {
	if g == "" {
		return nil, nil
	}
	for _, kv := range strings.Split(g, ",") {
		k, v, _ := strings.Cut(kv, "=")
		keys, vals = append(keys, k), append(vals, v)
	}
	return keys, vals
}

// gridLess orders grid points axis by axis, numbers by value.
func gridLess(a, b string) bool {
	_, va := gridValues(a)
	_, vb := gridValues(b)
	for i := 0; i < len(va) && i < len(vb); i++ {
		if va[i] == vb[i] {
			continue
		}
		x, ex := strconv.ParseFloat(va[i], 64)
		y, ey := strconv.ParseFloat(vb[i], 64)
		if ex == nil && ey == nil {
			return x < y
		}
		return va[i] < vb[i]
	}
	return len(va) < len(vb)
}

// Compute is what one method spent across its grid: every recorded cell, ok or failed, of
// every grid point, so that a method with a larger grid shows its larger cost.
type Compute struct {
	Backbone, Method string
	Cells, Points    int
	Steps            int
	WallS            float64
}

// ComputeByMethod sums steps and wall time per (backbone, method) over results, in the
// methods' paper order.
func ComputeByMethod(rs []*results.Result) []Compute {
	type key struct{ b, m string }
	by := map[key]*Compute{}
	points := map[key]map[string]bool{}
	var keys []key
	for _, r := range rs {
		k := key{r.Cell.BackboneName, r.Cell.Method}
		c := by[k]
		if c == nil {
			c = &Compute{Backbone: k.b, Method: k.m}
			by[k], points[k] = c, map[string]bool{}
			keys = append(keys, k)
		}
		c.Cells++
		c.Steps += r.Steps
		c.WallS += r.Time.WallS
		points[k][r.Cell.Setting+"\x00"+r.Cell.Task+"\x00"+r.Cell.Grid] = true
	}
	methods := make([]string, 0, len(keys))
	for _, k := range keys {
		if !contains(methods, k.m) {
			methods = append(methods, k.m)
		}
	}
	sortByOrder(methods, methodOrder)
	backbones := make([]string, 0, len(keys))
	for _, k := range keys {
		if !contains(backbones, k.b) {
			backbones = append(backbones, k.b)
		}
	}
	sortByOrder(backbones, backboneOrder)
	var out []Compute
	for _, b := range backbones {
		for _, m := range methods {
			if c := by[key{b, m}]; c != nil {
				c.Points = len(points[key{b, m}])
				out = append(out, *c)
			}
		}
	}
	return out
}
