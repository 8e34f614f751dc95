package reports

import (
	"fmt"
	"math"
	"strings"
)

// Block is one regime's table: a row per (setting, method), a column per task (headline
// metric) and an Avg column. With several backbones there is one per backbone and regime.
type Block struct {
	Backbone string // the backbone's name; empty for results of a config with one backbone
	Regime   string
	Tasks    []string
	Settings []*SettingTable
}

// SettingTable is the rows of one setting within a block.
type SettingTable struct {
	Setting, Split string
	Methods        []string
	Cells          map[string]map[string]*Group // task → method → group
	// AvgTasks are the tasks every method of the setting has: an average over different task
	// sets would compare methods on different problems.
	AvgTasks []string
}

// Blocks arranges groups (in Aggregate's order) into one block per (backbone,) regime, full
// data first.
func Blocks(groups []*Group) []*Block {
	var blocks []*Block
	for _, g := range groups {
		reg := Regime(g.Split)
		if n := len(blocks); n == 0 || blocks[n-1].Regime != reg || blocks[n-1].Backbone != g.Backbone {
			blocks = append(blocks, &Block{Backbone: g.Backbone, Regime: reg})
		}
		b := blocks[len(blocks)-1]
		if n := len(b.Settings); n == 0 || b.Settings[n-1].Setting != g.Setting {
			b.Settings = append(b.Settings, &SettingTable{Setting: g.Setting, Split: g.Split, Cells: map[string]map[string]*Group{}})
		}
		st := b.Settings[len(b.Settings)-1]
		if st.Cells[g.Task] == nil {
			st.Cells[g.Task] = map[string]*Group{}
		}
		st.Cells[g.Task][g.Method] = g
		if !contains(st.Methods, g.Method) {
			st.Methods = append(st.Methods, g.Method)
		}
		if !contains(b.Tasks, g.Task) {
			b.Tasks = append(b.Tasks, g.Task)
		}
	}
	for _, b := range blocks {
		sortByOrder(b.Tasks, taskOrder)
		for _, st := range b.Settings {
			sortByOrder(st.Methods, methodOrder)
			for _, t := range b.Tasks {
				all := len(st.Cells[t]) > 0
				for _, m := range st.Methods {
					all = all && st.Cells[t][m] != nil
				}
				if all {
					st.AvgTasks = append(st.AvgTasks, t)
				}
			}
		}
	}
	return blocks
}

// headline is the column's headline metric in this setting, if any method ran the task.
func (st *SettingTable) headline(task string) (name string, higher bool, ok bool) {
	for _, m := range st.Methods {
		if g := st.Cells[task][m]; g != nil {
			return g.Headline().Name, g.Headline().HigherIsBetter, true
		}
	}
	return "", false, false
}

// style is what differs between the Markdown and LaTeX renderings of a table.
type style struct {
	bold   func(string) string
	pm     string // between mean and std
	escape func(string) string
	mark   func(sym int) string // footnote marker by flag index
	delta  string
}

var mdMarks = []string{"†", "‡", "§", "¶"}

var markdownStyle = style{
	bold:   func(s string) string { return "**" + s + "**" },
	pm:     " ± ",
	escape: func(s string) string { return strings.ReplaceAll(s, "|", `\|`) },
	mark:   func(i int) string { return markSym(mdMarks, i) },
	delta:  "Δ",
}

var texMarks = []string{`\dag`, `\ddag`, `\S`, `\P`}

var latexStyle = style{
	bold:   func(s string) string { return `\textbf{` + s + `}` },
	pm:     ` $\pm$ `,
	escape: texEscape,
	mark:   func(i int) string { return `\textsuperscript{` + markSym(texMarks, i) + `}` },
	delta:  `$\Delta$`,
}

// markSym repeats symbols past the end of the list (††, ‡‡, ...), as footnote series do.
func markSym(syms []string, i int) string {
	return strings.Repeat(syms[i%len(syms)], i/len(syms)+1)
}

// texEscaper quotes LaTeX's special characters and spells the few non-ASCII symbols the
// report uses in plain LaTeX, so that tables.tex compiles without unicode setup.
var texEscaper = strings.NewReplacer(`\`, `\textbackslash{}`, `%`, `\%`, `&`, `\&`, `#`, `\#`, `_`, `\_`,
	`$`, `\$`, `{`, `\{`, `}`, `\}`, `~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`,
	"±", `$\pm$`, "−", `$-$`, "–", `--`, "×", `$\times$`, "Δ", `$\Delta$`, "…", `\dots{}`, "|", `\textbar{}`)

func texEscape(s string) string { return texEscaper.Replace(s) }

func (s style) summary(x Summary) string {
	if x.N < 2 {
		return fmt.Sprintf("%.2f (%d)", x.Mean, x.N)
	}
	return fmt.Sprintf("%.2f%s%.2f (%d)", x.Mean, s.pm, x.Std, x.N)
}

// tableRow is one rendered row; paper rows carry published numbers, not ours.
type tableRow struct {
	label string
	cells []string // one per block task, then Avg
	paper bool
}

// rows renders a setting's rows: each method with its trainable share, then its paper row
// when the reference has numbers for it. flags maps a flag to its footnote index.
func (st *SettingTable) rows(b *Block, s style, ref *Reference, flags []string) []tableRow {
	type best struct {
		v  float64
		ok bool
	}
	bestOf := make([]best, len(b.Tasks)+1)
	consider := func(col int, v float64, higher bool) {
		v = math.Round(v*100) / 100 // ties as printed are ties
		if !bestOf[col].ok || (higher && v > bestOf[col].v) || (!higher && v < bestOf[col].v) {
			bestOf[col] = best{v, true}
		}
	}
	avgHigher, avgDirOK := true, true
	for i, t := range st.AvgTasks {
		_, h, _ := st.headline(t)
		if i == 0 {
			avgHigher = h
		}
		avgDirOK = avgDirOK && h == avgHigher
	}
	avg := map[string]float64{}
	for _, m := range st.Methods {
		for i, t := range b.Tasks {
			if g := st.Cells[t][m]; g != nil {
				consider(i, g.Summary(g.Headline().Name).Mean, g.Headline().HigherIsBetter)
			}
		}
		if len(st.AvgTasks) > 0 {
			sum := 0.0
			for _, t := range st.AvgTasks {
				g := st.Cells[t][m]
				sum += g.Summary(g.Headline().Name).Mean
			}
			avg[m] = sum / float64(len(st.AvgTasks))
			if avgDirOK {
				consider(len(b.Tasks), avg[m], avgHigher)
			}
		}
	}
	isBest := func(col int, v float64) bool {
		return bestOf[col].ok && math.Round(v*100)/100 == bestOf[col].v
	}
	var out []tableRow
	for _, m := range st.Methods {
		row := tableRow{label: s.escape(MethodName(m) + " (" + st.trainable(m) + ")")}
		for i, t := range b.Tasks {
			g := st.Cells[t][m]
			if g == nil {
				row.cells = append(row.cells, "")
				continue
			}
			sum := g.Summary(g.Headline().Name)
			c := s.summary(sum)
			if isBest(i, sum.Mean) {
				c = s.bold(c)
			}
			for fi, f := range flags {
				if g.Flags()[f] > 0 {
					c += s.mark(fi)
				}
			}
			row.cells = append(row.cells, c)
		}
		row.cells = append(row.cells, st.avgCell(avg, m, s, isBest, len(b.Tasks)))
		out = append(out, row)
		if pr, ok := st.paperRow(b, m, s, ref); ok {
			out = append(out, pr)
		}
	}
	return out
}

func (st *SettingTable) avgCell(avg map[string]float64, m string, s style, isBest func(int, float64) bool, col int) string {
	v, ok := avg[m]
	if !ok {
		return ""
	}
	c := fmt.Sprintf("%.2f", v)
	if isBest(col, v) {
		c = s.bold(c)
	}
	return c
}

// paperRow is the reference's numbers for method m, each with Δ = ours − paper where we ran it.
func (st *SettingTable) paperRow(b *Block, m string, s style, ref *Reference) (tableRow, bool) {
	row := tableRow{label: s.escape(MethodName(m) + ", paper"), paper: true}
	found := false
	vals := map[string]float64{}
	for _, t := range b.Tasks {
		metric, _, ok := st.headline(t)
		e, found1 := ref.Lookup(t, m, b.Regime, metric)
		if !ok || !found1 {
			row.cells = append(row.cells, "")
			continue
		}
		found = true
		vals[t] = *e.Value
		c := fmt.Sprintf("%.2f", *e.Value)
		if g := st.Cells[t][m]; g != nil {
			c += fmt.Sprintf(" (%s %+.2f)", s.delta, g.Summary(metric).Mean-*e.Value)
		}
		row.cells = append(row.cells, c)
	}
	avg := ""
	if len(st.AvgTasks) > 0 {
		sum, all := 0.0, true
		for _, t := range st.AvgTasks {
			v, ok := vals[t]
			sum, all = sum+v, all && ok
		}
		if all {
			avg = fmt.Sprintf("%.2f", sum/float64(len(st.AvgTasks)))
		}
	}
	row.cells = append(row.cells, avg)
	return row, found
}

// trainable formats the method's trainable-parameter share in this setting (a range when
// the tasks' heads make it differ by more than the printed precision).
func (st *SettingTable) trainable(m string) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, byMethod := range st.Cells {
		if g := byMethod[m]; g != nil {
			l, h := g.TrainablePct()
			lo, hi = math.Min(lo, l), math.Max(hi, h)
		}
	}
	if math.IsInf(lo, 1) {
		return "?"
	}
	a, b := fmtPct(lo), fmtPct(hi)
	if a == b {
		return a + "%"
	}
	return a + "–" + b + "%"
}

func fmtPct(p float64) string {
	switch {
	case p >= 99.95:
		return "100"
	case p < 0.95 && p > 0:
		return fmt.Sprintf("%.2f", p)
	}
	return fmt.Sprintf("%.1f", p)
}

// metricAbbrevs shortens metric names for column headers; others print as named.
var metricAbbrevs = map[string]string{"accuracy": "acc", "macro_f1": "macro-F1", "f1": "F1", "em": "EM"}

func metricAbbrev(m string) string {
	if a, ok := metricAbbrevs[m]; ok {
		return a
	}
	return m
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
