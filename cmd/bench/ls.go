package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/methods"
)

func init() {
	register(&command{
		name:    "ls",
		summary: "list the registered tasks or tuning methods",
		args:    "tasks|methods",
		maxArgs: 1,
		flags:   func(*flag.FlagSet) action { return runLs },
	})
}

func runLs(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("which list? want tasks or methods")
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	switch args[0] {
	case "tasks":
		fmt.Fprintln(tw, "task\tkind\tlabels\tmetrics\tdescription")
		for _, n := range clue.Names() {
			t, _ := clue.Lookup(n)
			var ms []string
			for _, m := range t.Metrics {
				ms = append(ms, m.Name)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", t.Name, t.Kind, len(t.Labels), strings.Join(ms, ","), t.Description)
		}
	case "methods":
		fmt.Fprintln(tw, "method\tdescription")
		for _, n := range methods.Names() {
			fmt.Fprintf(tw, "%s\t%s\n", n, methods.Summary(n))
		}
	default:
		return usageErrorf("unknown list %q: want tasks or methods", args[0])
	}
	return tw.Flush()
}
