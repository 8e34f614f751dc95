package reports

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/clue-bench/clue-bench/bench/results"
)

// FileFair is the report's comparisons file: grid selection, paired differences between
// methods with their intervals, the claims' intervals and the compute each method spent.
const FileFair = "comparisons.md"

// sensitivityPrefix starts the file names of sensitivity plots in the plots directory.
const sensitivityPrefix = "sensitivity_"

// WriteFair writes comparisons.md.
func (r *Report) WriteFair(w io.Writer) error {
	fmt.Fprintf(w, "# Comparisons\n\n")
	if len(r.Selections) > 0 {
		if err := r.writeSelection(w); err != nil {
			return err
		}
	}
	if err := r.writePairs(w); err != nil {
		return err
	}
	if err := r.writeConvergenceIntervals(w); err != nil {
		return err
	}
	if err := r.writeClaimIntervals(w); err != nil {
		return err
	}
	return r.writeCompute(w)
}

func (r *Report) writeSelection(w io.Writer) error {
	fmt.Fprintf(w, "## Grid selection\n\n")
	test := false
	for _, s := range r.Selections {
		test = test || s.Points[s.Chosen].Test.N > 0
	}
	if test {
		fmt.Fprintf(w, "Each method is reported at its own grid point with the best mean dev headline score over seeds (best dev evaluation of each run); only points with the most seeds of their combination compete, and ties go to the earlier point. Selection reads dev scores only. Test at chosen: the chosen point's headline score on the labelled test split (FewCLUE's test_public.json) with each run's best-dev weights, mean ± std over the seeds that recorded one, shown after the choice and never read by it; \"—\" where the test split is unlabelled.\n\n")
	} else {
		fmt.Fprintf(w, "Each method is reported at its own grid point with the best mean dev headline score over seeds (best dev evaluation of each run); only points with the most seeds of their combination compete, and ties go to the earlier point. Selection reads dev scores only. Test: not reported, because results record no labelled test score (a result's predictions file is the unlabelled test-set submission).\n\n")
	}
	multi := false
	for _, s := range r.Selections {
		multi = multi || s.Backbone != ""
	}
	header := []string{"Setting", "Task", "Method", "Chosen", "Dev at chosen", "Points (dev mean, n)"}
	if test {
		header = []string{"Setting", "Task", "Method", "Chosen", "Dev at chosen", "Test at chosen", "Points (dev mean, n)"}
	}
	if multi {
		header = append([]string{"Backbone"}, header...)
	}
	var rows [][]string
	for _, s := range r.Selections {
		var pts []string
		for i, p := range s.Points {
			t := fmt.Sprintf("%s: %s", orAll(p.Grid), fmtMeanN(p))
			if i == s.Chosen {
				t = "**" + t + "**"
			}
			pts = append(pts, t)
		}
		row := []string{s.Setting, TaskName(s.Task), MethodName(s.Method), markdownStyle.escape(s.Values()),
			markdownStyle.summary(s.Points[s.Chosen].Dev)}
		if test {
			ts := "—"
			if t := s.Points[s.Chosen].Test; t.N > 0 {
				ts = markdownStyle.summary(t)
			}
			row = append(row, ts)
		}
		row = append(row, markdownStyle.escape(strings.Join(pts, "; ")))
		if multi {
			row = append([]string{s.Backbone}, row...)
		}
		rows = append(rows, row)
	}
	if err := renderMarkdown(w, header, rows); err != nil {
		return fmt.Errorf("selection table: %w", err)
	}
	fmt.Fprintln(w)
	return nil
}

func orAll(g string) string {
	if g == "" {
		return "(no list)"
	}
	return g
}

func fmtMeanN(p GridPoint) string {
	if p.Seeds == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f (%d)", p.Dev.Mean, p.Seeds)
}

func (r *Report) writePairs(w io.Writer) error {
	fmt.Fprintf(w, "## Differences between methods\n\n")
	ds := PairDiffs(r.Groups, r.Set.Dev)
	boot, recorded := false, len(r.Set.Dev) > 0 || len(r.Set.DevWarnings) > 0
	for _, d := range ds {
		boot = boot || d.Examples != nil
	}
	switch {
	case boot:
		fmt.Fprintf(w, "Difference of the dev headline score (points, A − B, > 0: A is better in the metric's direction) with two paired 95%% intervals where a row has both: over seeds, %s; over dev examples, %s. Intervals names those a row has. A difference counts only when every interval it has excludes 0: Δ prints \"~\" when either includes 0, and \"?\" when there are too few paired runs for the interval over seeds, without which there is no verdict.\n\n", CIMethod, BootstrapMethod)
	case recorded:
		fmt.Fprintf(w, "Difference of the dev headline score (points, A − B, > 0: A is better in the metric's direction), %s%s. Δ prints \"~\" when the interval includes 0 and \"?\" when there are too few paired runs for an interval.\n\n", CIMethod, noBootstrapPairs)
	default:
		fmt.Fprintf(w, "Difference of the dev headline score (points, A − B, > 0: A is better in the metric's direction), %s%s. Δ prints \"~\" when the interval includes 0 and \"?\" when there are too few paired runs for an interval.\n\n", CIMethod, noBootstrap)
	}
	if len(ds) == 0 {
		fmt.Fprintf(w, "No task that two methods ran.\n\n")
		return writeWarnings(w, r.Set.DevWarnings)
	}
	multi := false
	for _, d := range ds {
		multi = multi || d.Backbone != ""
	}
	header := []string{"Regime", "Task", "A", "B", "Settings", "Pairs", "Difference [95% CI]", "Δ"}
	if boot {
		header = []string{"Regime", "Task", "A", "B", "Settings", "Pairs", "Difference [95% CI over seeds]", "95% CI over examples", "Intervals", "Δ"}
	}
	if multi {
		header = append([]string{"Backbone"}, header...)
	}
	var rows [][]string
	var warns []string
	for _, d := range ds {
		row := []string{regimeTitle(d.Regime), TaskName(d.Task), MethodName(d.A), MethodName(d.B),
			markdownStyle.escape(joinSettings(d.Settings)), strconv.Itoa(d.N), d.fmtCI()}
		if boot {
			row = append(row, d.Examples.fmtCI(), d.intervals())
		}
		row = append(row, d.fmtDelta())
		if multi {
			row = append([]string{d.Backbone}, row...)
		}
		rows = append(rows, row)
		if d.NoExamples != "" {
			warns = append(warns, fmt.Sprintf("no bootstrap over examples: %s vs %s on %s, %s: %s",
				MethodName(d.A), MethodName(d.B), withBackbone(d.Backbone, TaskName(d.Task)), regimeTitle(d.Regime), d.NoExamples))
		}
	}
	if err := renderMarkdown(w, header, rows); err != nil {
		return fmt.Errorf("differences table: %w", err)
	}
	fmt.Fprintln(w)
	return writeWarnings(w, append(append(fewPairsWarnings(ds), warns...), r.Set.DevWarnings...))
}

// writeWarnings lists warnings, one a line, with a blank line after them; nothing for none.
func writeWarnings(w io.Writer, warns []string) error {
	for _, wn := range warns {
		fmt.Fprintf(w, "- Warning: %s.\n", wn)
	}
	if len(warns) > 0 {
		fmt.Fprintln(w)
	}
	return nil
}

func (r *Report) writeClaimIntervals(w io.Writer) error {
	var rows [][]string
	for _, c := range r.Claims {
		if c.Kind != ClaimDelta || c.Status == NotRun {
			continue
		}
		ci := "—"
		if c.Interval != nil {
			ci = fmt.Sprintf("[%.2f, %.2f] (%d pairs)", c.Interval.Lo, c.Interval.Hi, c.Interval.Pairs)
		}
		row := []string{c.ID, fmt.Sprintf("%g ± %g", c.Claimed, c.Tolerance), fmt.Sprintf("%.2f", *c.Observed), ci}
		if anyBootstrap(r.Claims) {
			bs := "—"
			if c.Bootstrap != nil {
				bs = fmt.Sprintf("[%.2f, %.2f]", c.Bootstrap.Lo, c.Bootstrap.Hi)
			}
			row = append(row, bs)
		}
		rows = append(rows, append(row, c.Status))
	}
	if len(rows) == 0 {
		return nil
	}
	fmt.Fprintf(w, "## Delta claims and their intervals\n\n")
	header := []string{"Claim", "Paper", "Ours", "95% CI", "Status"}
	if anyBootstrap(r.Claims) {
		fmt.Fprintf(w, "A delta claim holds when the paired 95%% interval of our difference over seeds and, where it has one, its paired bootstrap interval over dev examples both meet the claimed value ± tolerance, does not hold when every interval it has lies outside it, is inconclusive when they disagree (as a difference prints \"~\" when either interval includes 0), and gets no verdict without the interval over seeds (too few seeds).\n\n")
		header = []string{"Claim", "Paper", "Ours", "95% CI over seeds", "95% CI over examples", "Status"}
	} else {
		fmt.Fprintf(w, "A delta claim holds when the paired 95%% interval of our difference meets the claimed value ± tolerance, does not hold when the interval lies outside it, and gets no verdict without an interval (too few seeds).\n\n")
	}
	if err := renderMarkdown(w, header, rows); err != nil {
		return fmt.Errorf("claims table: %w", err)
	}
	fmt.Fprintln(w)
	return nil
}

func (r *Report) writeCompute(w io.Writer) error {
	fmt.Fprintf(w, "## Compute per method\n\n")
	fmt.Fprintf(w, "Optimiser steps and wall time actually spent, summed over every recorded cell of each method (ok and failed, every grid point and seed), so a method with a larger grid shows its larger cost. Points: the (setting, task, grid point) combinations it ran.\n\n")
	all := append(append([]*results.Result(nil), r.Set.OK...), r.Set.Failed...)
	cs := ComputeByMethod(all)
	multi := false
	for _, c := range cs {
		multi = multi || c.Backbone != ""
	}
	header := []string{"Method", "Cells", "Points", "Steps", "Wall time (s)"}
	if multi {
		header = append([]string{"Backbone"}, header...)
	}
	var rows [][]string
	for _, c := range cs {
		row := []string{MethodName(c.Method), strconv.Itoa(c.Cells), strconv.Itoa(c.Points), strconv.Itoa(c.Steps), fmt.Sprintf("%.1f", c.WallS)}
		if multi {
			row = append([]string{c.Backbone}, row...)
		}
		rows = append(rows, row)
	}
	if err := renderMarkdown(w, header, rows); err != nil {
		return fmt.Errorf("compute table: %w", err)
	}
	fmt.Fprintln(w)
	return nil
}

// selectionNotes are the tables' footnotes naming each method's chosen grid point, for a
// block of a grid report; nil for a report without grids.
func (r *Report) selectionNotes(b *Block, s style) []string {
	var out []string
	for _, sel := range r.Selections {
		if sel.Backbone != b.Backbone || Regime(sel.Split) != b.Regime || sel.Grid == "" {
			continue
		}
		out = append(out, s.escape(fmt.Sprintf("Grid point chosen on dev, %s on %s, setting %s: %s.", MethodName(sel.Method), TaskName(sel.Task), sel.Setting, sel.Values())))
	}
	return out
}

// writeSensitivity draws, per ((backbone,) setting, task) and swept key, the headline dev
// mean against the key's values, one line per method; where several keys are swept, a
// value's score is the best over the other keys' values (the profile the selection sees).
// Files are <dir>/sensitivity_[<backbone>_]<setting>_<task>_<key>.{png,svg}.
func writeSensitivity(dir string, sels []*Selection) ([]string, error) {
	type panel struct {
		backbone, setting, task, key string
	}
	var order []panel
	lines := map[panel][]*Selection{}
	for _, s := range sels {
		keys, _ := gridValues(s.Points[0].Grid)
		for _, k := range keys {
			p := panel{s.Backbone, s.Setting, s.Task, k}
			if _, ok := lines[p]; !ok {
				order = append(order, p)
			}
			lines[p] = append(lines[p], s)
		}
	}
	var files []string
	for _, pn := range order {
		ss := lines[pn]
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s, setting %s: sensitivity to %s", TaskName(pn.task), settingLabel(pn.setting, ss[0].Split), pn.key)
		if pn.backbone != "" {
			p.Title.Text += ", backbone " + pn.backbone
		}
		p.X.Label.Text = pn.key
		p.Y.Label.Text = "dev " + ss[0].Metric.Name + " (%), mean over seeds"
		p.Add(plotter.NewGrid())
		logX := true
		lo, hi := math.Inf(1), math.Inf(-1)
		var series []plotter.XYs
		for _, s := range ss {
			best := map[float64]float64{}
			var xs []float64
			for _, pt := range s.Points {
				if pt.Seeds == 0 {
					continue
				}
				keys, vals := gridValues(pt.Grid)
				for i, k := range keys {
					if k != pn.key {
						continue
					}
					x, err := strconv.ParseFloat(vals[i], 64)
					if err != nil { // true/false
						x = 0
						if vals[i] == "true" {
							x = 1
						}
					}
					if v, ok := best[x]; !ok || results.Better(pt.Dev.Mean, v, s.Metric.HigherIsBetter) {
						if !ok {
							xs = append(xs, x)
						}
						best[x] = pt.Dev.Mean
					}
				}
			}
			xys := make(plotter.XYs, 0, len(xs))
			for _, x := range xs {
				xys = append(xys, plotter.XY{X: x, Y: best[x]})
				logX = logX && x > 0
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
			series = append(series, xys)
		}
		// Learning rates and the like are swept on a log scale; show them on one.
		if logX && hi/lo >= 10 {
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		}
		for i, xys := range series {
			if len(xys) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, fmt.Errorf("sensitivity plot %s: %w", ss[i].Key, err)
			}
			l.Color, pts.Color = plotutil.Color(i), plotutil.Color(i)
			l.Width = vg.Points(1.5)
			p.Add(l, pts)
			p.Legend.Add(MethodName(ss[i].Method), l, pts)
		}
		base := sensitivityPrefix + fileSafe(pn.setting) + "_" + fileSafe(pn.task) + "_" + fileSafe(pn.key)
		if pn.backbone != "" {
			base = sensitivityPrefix + fileSafe(pn.backbone) + "_" + strings.TrimPrefix(base, sensitivityPrefix)
		}
		for _, ext := range []string{".png", ".svg"} {
			if err := p.Save(6*vg.Inch, 4*vg.Inch, filepath.Join(dir, base+ext)); err != nil {
				return nil, fmt.Errorf("plot %s: %w", base+ext, err)
			}
			files = append(files, base+ext)
		}
	}
	return files, nil
}

// writeConvergenceIntervals gives the convergence table's ratios (FL-tuning vs P-tuning v2)
// their paired intervals.
func (r *Report) writeConvergenceIntervals(w io.Writer) error {
	const method, baseline = "fl-tuning", "p-tuning-v2"
	ris := ConvergenceIntervals(r.Groups, method, baseline)
	if len(ris) == 0 {
		return nil
	}
	fmt.Fprintf(w, "## Convergence ratios\n\n%s vs %s: ratio of steps to the best dev score (%s's over %s's, > 1: %s is faster), paired by seed; 95%% interval of the mean log ratio, exponentiated. \"~\" when the interval includes 1.\n\n",
		MethodName(method), MethodName(baseline), MethodName(baseline), MethodName(method), MethodName(method))
	multi := false
	for _, ri := range ris {
		multi = multi || ri.Backbone != ""
	}
	header := []string{"Setting", "Task", "Pairs", "Ratio [95% CI]", "Δ"}
	if multi {
		header = append([]string{"Backbone"}, header...)
	}
	var rows [][]string
	for _, ri := range ris {
		ci, d := fmt.Sprintf("%.2f× (no interval)", ri.Ratio), "?"
		if ri.N >= MinPairs {
			ci = fmt.Sprintf("%.2f× [%.2f×, %.2f×]", ri.Ratio, ri.Lo, ri.Hi)
			d = "~"
			if ri.Lo > 1 || ri.Hi < 1 {
				d = fmt.Sprintf("%.2f×", ri.Ratio)
			}
		}
		row := []string{ri.Setting, TaskName(ri.Task), strconv.Itoa(ri.N), ci, d}
		if multi {
			row = append([]string{ri.Backbone}, row...)
		}
		rows = append(rows, row)
	}
	if err := renderMarkdown(w, header, rows); err != nil {
		return fmt.Errorf("convergence intervals: %w", err)
	}
	fmt.Fprintln(w)
	return nil
}
