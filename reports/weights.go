package reports

import (
	"fmt"
	"io"
)

// writeWeightsMarkdown writes the efficiency table of trained parameters and the size on disk
// of what each method trained (results' weights_bytes), as PEFT compares adapters. Results
// recorded before cells kept their weights have no size: their cells stay blank, and a report
// with no size at all has no such table, so that of older results is unchanged.
func writeWeightsMarkdown(w io.Writer, groups []*Group) error {
	any := false
	for _, g := range groups {
		for _, c := range g.Cells {
			any = any || c.WeightsBytes > 0
		}
	}
	if !any {
		return nil
	}
	fmt.Fprintf(w, "## Tuned weights\n\n")
	fmt.Fprintf(w, "Share of parameters trained and the size on disk of the tensors a run keeps (the method's and the head's, `cells/<key>.safetensors`); a range where seeds differ, blank where a result records none. Fine-tuning keeps its head alone unless run with `bench run --save-backbone`.\n\n")
	multi := severalBackbones(groups)
	lead := func(backbone string, row ...string) []string {
		if multi {
			return append([]string{backbone}, row...)
		}
		return row
	}
	var rows [][]string
	for _, g := range groups {
		lo, hi := g.TrainablePct()
		pct := fmt.Sprintf("%.3f%%", lo)
		if hi != lo {
			pct = fmt.Sprintf("%.3f–%.3f%%", lo, hi)
		}
		rows = append(rows, lead(g.Backbone, g.Setting, TaskName(g.Task), MethodName(g.Method), pct, weightsSize(g)))
	}
	if err := renderMarkdown(w, lead("Backbone", "Setting", "Task", "Method", "Trained", "Tuned weights"), rows); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return nil
}

// weightsSize is the range of the group's kept weights sizes, blank when none records one.
func weightsSize(g *Group) string {
	var lo, hi int64
	for _, c := range g.Cells {
		n := c.WeightsBytes
		if n <= 0 {
			continue
		}
		if lo == 0 || n < lo {
			lo = n
		}
		if n > hi {
			hi = n
		}
	}
	switch {
	case hi == 0:
		return ""
	case lo == hi:
		return fmtBytes(lo)
	}
	return fmtBytes(lo) + "–" + fmtBytes(hi)
}

// fmtBytes prints a size in binary units.
func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
