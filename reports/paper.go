package reports

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// PaperTable is one regime's table in the FL-tuning paper's layout: a row per backbone ×
// method, a column per task (headline metric), Avg and the trainable share. A few-shot task's
// value is the mean over its settings (FewCLUE's five folds, or CLUENER's K-shot draws) of each
// setting's mean over seeds, as FewCLUE averages its folds; a full-data task's is its mean over
// seeds.
type PaperTable struct {
	Regime string
	Tasks  []string
	Rows   []*PaperRow
	// Settings are, per task, the settings any row ran it in: a row with fewer averages over
	// part of them and is marked.
	Settings map[string][]string
	// AvgTasks are the tasks every row has, over all of Settings: Avg compares rows on the
	// same problems only.
	AvgTasks []string
}

// PaperRow is one backbone and method.
type PaperRow struct {
	Backbone, Method string
	Cells            map[string]*PaperCell // task → value
	lo, hi           float64               // trainable share, %, over the row's cells
}

// PaperCell is a row's value for one task.
type PaperCell struct {
	Mean     float64
	Higher   bool     // the headline metric's direction
	Settings []string // the settings averaged
	Runs     int      // ok cells behind the mean (settings × seeds)
}

// PaperLayout reports whether groups call for the paper's layout besides the per-setting
// tables: results of several backbones, or a task run in several settings of one regime
// (FewCLUE's folds). The built-in suite's single-backbone, single-fold results do not, so
// their report is unchanged.
func PaperLayout(groups []*Group) bool {
	if severalBackbones(groups) {
		return true
	}
	seen := map[string]string{}
	for _, g := range groups {
		k := Regime(g.Split) + "/" + g.Task
		if s, ok := seen[k]; ok && s != g.Setting {
			return true
		}
		seen[k] = g.Setting
	}
	return false
}

// PaperTables arranges groups into the paper's tables, full data first.
func PaperTables(groups []*Group) []*PaperTable {
	var tables []*PaperTable
	byRegime := map[string]*PaperTable{}
	type rowKey struct{ backbone, method string }
	rows := map[string]map[rowKey]*PaperRow{}
	// per regime, row, task: setting → the setting's mean over seeds
	vals := map[string]map[rowKey]map[string]map[string]Summary{}
	higher := map[string]bool{}
	for _, reg := range []string{RegimeFull, RegimeFew} {
		for _, g := range groups {
			if Regime(g.Split) != reg {
				continue
			}
			pt := byRegime[reg]
			if pt == nil {
				pt = &PaperTable{Regime: reg, Settings: map[string][]string{}}
				byRegime[reg], rows[reg], vals[reg] = pt, map[rowKey]*PaperRow{}, map[rowKey]map[string]map[string]Summary{}
				tables = append(tables, pt)
			}
			k := rowKey{g.Backbone, g.Method}
			row := rows[reg][k]
			if row == nil {
				row = &PaperRow{Backbone: g.Backbone, Method: g.Method, Cells: map[string]*PaperCell{}, lo: math.Inf(1), hi: math.Inf(-1)}
				rows[reg][k], vals[reg][k] = row, map[string]map[string]Summary{}
				pt.Rows = append(pt.Rows, row)
			}
			if !contains(pt.Tasks, g.Task) {
				pt.Tasks = append(pt.Tasks, g.Task)
			}
			if !contains(pt.Settings[g.Task], g.Setting) {
				pt.Settings[g.Task] = append(pt.Settings[g.Task], g.Setting)
			}
			if vals[reg][k][g.Task] == nil {
				vals[reg][k][g.Task] = map[string]Summary{}
			}
			vals[reg][k][g.Task][g.Setting] = g.Summary(g.Headline().Name)
			higher[g.Task] = g.Headline().HigherIsBetter
			l, h := g.TrainablePct()
			row.lo, row.hi = math.Min(row.lo, l), math.Max(row.hi, h)
		}
	}
	for _, pt := range tables {
		if pt.Regime == RegimeFew {
			sortByOrder(pt.Tasks, fewTaskOrder)
		} else {
			sortByOrder(pt.Tasks, taskOrder)
		}
		for _, t := range pt.Tasks {
			sort.Strings(pt.Settings[t])
		}
		sort.SliceStable(pt.Rows, func(i, j int) bool {
			a, b := pt.Rows[i], pt.Rows[j]
			if a.Backbone != b.Backbone {
				return orderLess(a.Backbone, b.Backbone, backboneOrder)
			}
			return orderLess(a.Method, b.Method, methodOrder)
		})
		for _, row := range pt.Rows {
			for t, bySetting := range vals[pt.Regime][rowKey{row.Backbone, row.Method}] {
				c := &PaperCell{Higher: higher[t]}
				for s, sum := range bySetting {
					c.Mean += sum.Mean
					c.Runs += sum.N
					c.Settings = append(c.Settings, s)
				}
				c.Mean /= float64(len(bySetting))
				sort.Strings(c.Settings)
				row.Cells[t] = c
			}
		}
		for _, t := range pt.Tasks {
			all := true
			for _, row := range pt.Rows {
				c := row.Cells[t]
				all = all && c != nil && len(c.Settings) == len(pt.Settings[t])
			}
			if all {
				pt.AvgTasks = append(pt.AvgTasks, t)
			}
		}
	}
	return tables
}

// orderLess sorts known names in the given order, then the others alphabetically.
func orderLess(a, b string, order []string) bool {
	ia, ib := indexOf(order, a), indexOf(order, b)
	switch {
	case ia >= 0 && ib >= 0:
		return ia < ib
	case ia >= 0:
		return true
	case ib >= 0:
		return false
	}
	return a < b
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

// title names the table as the report's section does.
func (pt *PaperTable) title() string {
	if pt.Regime == RegimeFew {
		return "few-shot"
	}
	return "full data"
}

// render lays the table out in a style: the header, then a row per backbone × method with
// the best value of each column in bold; a value over part of its task's settings is marked
// with s.mark(0) and counted in the notes.
func (pt *PaperTable) render(s style, groupsHeadline func(string) string) (header []string, rows [][]string, notes []string) {
	header = []string{"Backbone", "Method", "Trainable"}
	for _, t := range pt.Tasks {
		header = append(header, fmt.Sprintf("%s (%s)", TaskName(t), metricAbbrev(groupsHeadline(t))))
	}
	header = append(header, "Avg")
	best := make([]float64, len(pt.Tasks)+1)
	seen := make([]bool, len(pt.Tasks)+1)
	consider := func(col int, v float64, higher bool) {
		v = math.Round(v*100) / 100
		if !seen[col] || (higher && v > best[col]) || (!higher && v < best[col]) {
			best[col], seen[col] = v, true
		}
	}
	avgHigher, avgDirOK := true, true
	for i, t := range pt.AvgTasks {
		h := pt.higher(t)
		if i == 0 {
			avgHigher = h
		}
		avgDirOK = avgDirOK && h == avgHigher
	}
	avg := map[*PaperRow]float64{}
	for _, row := range pt.Rows {
		for i, t := range pt.Tasks {
			if c := row.Cells[t]; c != nil {
				consider(i, c.Mean, c.Higher)
			}
		}
		if len(pt.AvgTasks) > 0 {
			sum := 0.0
			for _, t := range pt.AvgTasks {
				sum += row.Cells[t].Mean
			}
			avg[row] = sum / float64(len(pt.AvgTasks))
			if avgDirOK {
				consider(len(pt.Tasks), avg[row], avgHigher)
			}
		}
	}
	isBest := func(col int, v float64) bool { return seen[col] && math.Round(v*100)/100 == best[col] }
	var partial []string
	for _, row := range pt.Rows {
		r := []string{s.escape(row.Backbone), s.escape(MethodName(row.Method)), s.escape(trainableRange(row.lo, row.hi))}
		for i, t := range pt.Tasks {
			c := row.Cells[t]
			if c == nil {
				r = append(r, "")
				continue
			}
			v := fmt.Sprintf("%.2f", c.Mean)
			if isBest(i, c.Mean) {
				v = s.bold(v)
			}
			if len(c.Settings) < len(pt.Settings[t]) {
				v += s.mark(0)
				partial = append(partial, fmt.Sprintf("%s %s on %s (%d of %d)", row.Backbone, MethodName(row.Method), TaskName(t), len(c.Settings), len(pt.Settings[t])))
			}
			r = append(r, v)
		}
		if v, ok := avg[row]; ok {
			c := fmt.Sprintf("%.2f", v)
			if isBest(len(pt.Tasks), v) {
				c = s.bold(c)
			}
			r = append(r, c)
		} else {
			r = append(r, "")
		}
		rows = append(rows, r)
	}
	if pt.Regime == RegimeFew {
		var per []string
		for _, t := range pt.Tasks {
			per = append(per, fmt.Sprintf("%s %s", TaskName(t), strings.Join(pt.Settings[t], ", ")))
		}
		notes = append(notes, s.escape("Each value: mean over the task's settings (FewCLUE's folds, K-shot draws) of the mean over seeds, best dev score; settings: "+strings.Join(per, "; ")+"."))
	} else {
		notes = append(notes, s.escape("Each value: mean over seeds of the best dev score."))
	}
	if len(partial) > 0 {
		notes = append(notes, s.mark(0)+" "+s.escape("over part of the task's settings only: "+strings.Join(partial, "; ")+"."))
	}
	switch {
	case len(pt.AvgTasks) == 0:
		notes = append(notes, "Avg: no task that every row ran in every setting.")
	case len(pt.AvgTasks) < len(pt.Tasks):
		var ts []string
		for _, t := range pt.AvgTasks {
			ts = append(ts, TaskName(t))
		}
		notes = append(notes, s.escape("Avg: over "+strings.Join(ts, ", ")+" only (the tasks every row ran in every setting)."))
	}
	return header, rows, notes
}

func (pt *PaperTable) higher(task string) bool {
	for _, row := range pt.Rows {
		if c := row.Cells[task]; c != nil {
			return c.Higher
		}
	}
	return true
}

// trainableRange formats a trainable share as the per-setting tables do.
func trainableRange(lo, hi float64) string {
	if math.IsInf(lo, 1) {
		return "?"
	}
	a, b := fmtPct(lo), fmtPct(hi)
	if a == b {
		return a + "%"
	}
	return a + "–" + b + "%"
}

// headlineOf is a task's headline metric over the groups of a regime.
func headlineOf(groups []*Group, regime string) func(string) string {
	return func(task string) string {
		for _, g := range groups {
			if g.Task == task && Regime(g.Split) == regime {
				return g.Headline().Name
			}
		}
		return ""
	}
}

// writePaperMarkdown writes the paper-layout sections of tables.md.
func (r *Report) writePaperMarkdown(w io.Writer) error {
	for _, pt := range r.Paper {
		fmt.Fprintf(w, "## Paper layout: %s\n\n", pt.title())
		header, rows, notes := pt.render(markdownStyle, headlineOf(r.Groups, pt.Regime))
		if err := renderMarkdown(w, header, rows); err != nil {
			return fmt.Errorf("paper layout %s: %w", pt.Regime, err)
		}
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// writePaperLaTeX writes the paper-layout tables of tables.tex.
func (r *Report) writePaperLaTeX(w io.Writer) {
	s := latexStyle
	for _, pt := range r.Paper {
		header, rows, notes := pt.render(s, headlineOf(r.Groups, pt.Regime))
		fmt.Fprintf(w, "\n\\begin{table}[htbp]\n\\centering\n\\small\n")
		fmt.Fprintf(w, "\\begin{tabular}{lll%s}\n\\toprule\n", strings.Repeat("c", len(pt.Tasks)+1))
		for i := range header {
			header[i] = s.escape(header[i])
		}
		fmt.Fprintf(w, "%s \\\\\n\\midrule\n", strings.Join(header, " & "))
		prev := ""
		for _, row := range rows {
			if prev != "" && row[0] != prev {
				fmt.Fprintf(w, "\\midrule\n")
			}
			prev = row[0]
			fmt.Fprintf(w, "%s \\\\\n", strings.Join(row, " & "))
		}
		caption := "Paper layout, " + pt.title() + ": best dev score (\\%). " + strings.Join(notes, " ")
		fmt.Fprintf(w, "\\bottomrule\n\\end{tabular}\n\\caption{%s}\n\\label{tab:paper-%s}\n\\end{table}\n", caption, pt.Regime)
	}
}
