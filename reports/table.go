package reports

import (
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// renderMarkdown writes a Markdown table. Header auto-formatting (upper-casing) and wrapping
// are off: task and method names must read exactly as in the results, and a wrapped cell
// would break the Markdown row.
func renderMarkdown(w io.Writer, header []string, rows [][]string) error {
	cfg := tablewriter.NewConfigBuilder().
		WithHeaderAutoFormat(tw.Off).
		WithHeaderAutoWrap(tw.WrapNone).
		WithRowAutoWrap(tw.WrapNone).
		WithHeaderAlignment(tw.AlignLeft).
		WithRowAlignment(tw.AlignLeft).
		Build()
	t := tablewriter.NewTable(w, tablewriter.WithRenderer(renderer.NewMarkdown()), tablewriter.WithConfig(cfg))
	t.Header(toAny(header)...)
	for i, r := range rows {
		if err := t.Append(toAny(r)...); err != nil {
			return fmt.Errorf("table row %d: %w", i+1, err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
