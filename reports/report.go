package reports

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/clue-bench/clue-bench/internal/atomicfile"
)

// Files a report directory holds.
const (
	FileIndex  = "index.md"
	FileTables = "tables.md"
	FileCSV    = "results.csv"
	FileLaTeX  = "tables.tex"
	FileClaims = "claims.json"
	DirPlots   = "plots"
)

// flagText explains the flags a runner may set on a result; an unknown flag prints as named.
var flagText = map[string]string{
	"majority-class": "the best model predicted a single class for the whole dev set",
}

// Report is what bench report writes, computed once from a results set.
type Report struct {
	Set          *Set
	Groups       []*Group
	Blocks       []*Block
	Ref          *Reference // nil: no reference file
	Claims       []ClaimResult
	Flags        []string // every flag seen, in first-seen order; a flag's index picks its marker
	Interpolated []string // [backbone/]setting/task whose plotted curves were interpolated
	// Selections are the grid points chosen per (backbone, setting, task, method) where the
	// results have grid points (see Select); nil otherwise. Groups hold the chosen points.
	Selections []*Selection
	// Paper is the results in the paper's layout (PaperTables), when PaperLayout calls for it;
	// nil otherwise.
	Paper []*PaperTable
}

// New aggregates a results set; ref may be nil.
func New(set *Set, ref *Reference) *Report {
	chosen, sels := Select(set.OK)
	r := &Report{Set: set, Ref: ref, Groups: Aggregate(chosen), Selections: sels}
	r.Blocks = Blocks(r.Groups)
	if PaperLayout(r.Groups) {
		r.Paper = PaperTables(r.Groups)
	}
	r.Claims = CheckClaims(ref, r.Groups, set.Dev)
	for _, g := range r.Groups {
		for _, c := range g.Cells {
			for _, f := range c.Flags {
				if !contains(r.Flags, f) {
					r.Flags = append(r.Flags, f)
				}
			}
		}
		if meanCurve(g).Interpolated {
			if k := withBackbone(g.Backbone, g.Setting+"/"+g.Task); !contains(r.Interpolated, k) {
				r.Interpolated = append(r.Interpolated, k)
			}
		}
	}
	return r
}

// Write writes every report file into dir and returns their names relative to it.
func (r *Report) Write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report dir: %w", err)
	}
	plots, _, err := writePlots(filepath.Join(dir, DirPlots), r.Groups)
	if err != nil {
		return nil, err
	}
	sens, err := writeSensitivity(filepath.Join(dir, DirPlots), r.Selections)
	if err != nil {
		return nil, err
	}
	plots = append(plots, sens...)
	outputs := []struct {
		name  string
		write func(io.Writer) error
	}{
		{FileTables, r.WriteMarkdown},
		{FileCSV, r.WriteCSV},
		{FileLaTeX, r.WriteLaTeX},
		{FileFair, r.WriteFair},
	}
	if r.Ref != nil {
		outputs = append(outputs, struct {
			name  string
			write func(io.Writer) error
		}{FileClaims, func(w io.Writer) error { return WriteClaimsJSON(w, r.Ref.Path, r.Claims) }})
	}
	var files []string
	for _, o := range outputs {
		var buf bytes.Buffer
		if err := o.write(&buf); err != nil {
			return nil, fmt.Errorf("%s: %w", o.name, err)
		}
		if err := atomicfile.Write(filepath.Join(dir, o.name), buf.Bytes()); err != nil {
			return nil, fmt.Errorf("%s: %w", o.name, err)
		}
		files = append(files, o.name)
	}
	for _, p := range plots {
		files = append(files, filepath.Join(DirPlots, p))
	}
	var idx bytes.Buffer
	if err := r.WriteIndex(&idx, files); err != nil {
		return nil, fmt.Errorf("%s: %w", FileIndex, err)
	}
	if err := atomicfile.Write(filepath.Join(dir, FileIndex), idx.Bytes()); err != nil {
		return nil, fmt.Errorf("%s: %w", FileIndex, err)
	}
	return append([]string{FileIndex}, files...), nil
}

// WriteMarkdown writes tables.md: a table per regime, then claims, convergence and failures.
func (r *Report) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "# Results\n\n")
	fmt.Fprintf(w, "Best dev score of each run (%%), mean ± sample std over seeds (n seeds). **Bold**: best mean in the column within a setting, by the metric's direction. Avg: mean of a method's task means over the tasks every method of the setting ran. Row labels give the share of parameters trained. Cells: %d ok, %d failed.\n\n", len(r.Set.OK), len(r.Set.Failed))
	if len(r.Blocks) == 0 {
		fmt.Fprintf(w, "No ok cells.\n\n")
	}
	for _, b := range r.Blocks {
		fmt.Fprintf(w, "## %s\n\n", b.title())
		header := []string{"Setting", "Method"}
		for _, t := range b.Tasks {
			header = append(header, fmt.Sprintf("%s (%s)", TaskName(t), metricAbbrev(b.headline(t))))
		}
		header = append(header, "Avg")
		var rows [][]string
		paper := false
		for _, st := range b.Settings {
			for i, row := range st.rows(b, markdownStyle, r.Ref, r.Flags) {
				name := ""
				if i == 0 {
					name = settingLabel(st.Setting, st.Split)
				}
				paper = paper || row.paper
				rows = append(rows, append([]string{markdownStyle.escape(name), row.label}, row.cells...))
			}
		}
		if err := renderMarkdown(w, header, rows); err != nil {
			return fmt.Errorf("%s table: %w", withBackbone(b.Backbone, b.Regime), err)
		}
		fmt.Fprintln(w)
		if notes := r.notes(b, markdownStyle, paper); len(notes) > 0 {
			for _, n := range notes {
				fmt.Fprintf(w, "- %s\n", n)
			}
			fmt.Fprintln(w)
		}
	}
	if err := r.writePaperMarkdown(w); err != nil {
		return err
	}
	if r.Ref != nil {
		if err := writeClaimsMarkdown(w, r.Ref.Path, r.Claims); err != nil {
			return err
		}
	}
	if len(r.Groups) > 0 {
		if err := writeConvergenceMarkdown(w, r.Groups, r.Interpolated); err != nil {
			return err
		}
	}
	if err := writeWeightsMarkdown(w, r.Groups); err != nil {
		return err
	}
	if len(r.Set.Failed) > 0 {
		fmt.Fprintf(w, "## Failed cells\n\nLeft out of every table (%d):\n\n", len(r.Set.Failed))
		for _, f := range r.Set.Failed {
			fmt.Fprintf(w, "- `%s`: %s\n", f.Cell.Key(), firstLine(f.Error))
		}
		fmt.Fprintln(w)
	}
	return nil
}

// title names the block's table: its regime, and its backbone where there are several.
func (b *Block) title() string {
	if b.Backbone == "" {
		return regimeTitle(b.Regime)
	}
	return regimeTitle(b.Regime) + ", backbone " + b.Backbone
}

// headline is a task's headline metric in the block.
func (b *Block) headline(task string) string {
	for _, st := range b.Settings {
		if m, _, ok := st.headline(task); ok {
			return m
		}
	}
	return ""
}

// notes are a block's footnotes: what Avg covers where it is not every task, flagged cells and
// the meaning of paper rows.
func (r *Report) notes(b *Block, s style, paper bool) []string {
	out := r.selectionNotes(b, s)
	for _, st := range b.Settings {
		switch {
		case len(st.AvgTasks) == 0:
			out = append(out, fmt.Sprintf("Avg, setting %s: no task that every method ran.", s.escape(st.Setting)))
		case len(st.AvgTasks) < len(b.Tasks):
			var ts []string
			for _, t := range st.AvgTasks {
				ts = append(ts, TaskName(t))
			}
			out = append(out, fmt.Sprintf("Avg, setting %s: over %s only (the tasks every method ran).", s.escape(st.Setting), strings.Join(ts, ", ")))
		}
	}
	for fi, f := range r.Flags {
		var where []string
		for _, st := range b.Settings {
			for _, t := range b.Tasks {
				for _, m := range st.Methods {
					if g := st.Cells[t][m]; g != nil && g.Flags()[f] > 0 {
						where = append(where, fmt.Sprintf("%s on %s, setting %s (%d of %d seeds)", MethodName(m), TaskName(t), st.Setting, g.Flags()[f], len(g.Cells)))
					}
				}
			}
		}
		if len(where) == 0 {
			continue
		}
		text := flagText[f]
		if text == "" {
			text = "flagged by the runner"
		}
		out = append(out, s.mark(fi)+" "+s.escape(fmt.Sprintf("%s: %s in: %s.", f, text, strings.Join(where, "; "))))
	}
	if paper {
		out = append(out, s.escape(fmt.Sprintf("Paper rows: published numbers from %s; Δ = our mean − paper.", r.Ref.Path)))
	}
	return out
}
