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
		name: "ls",
		summary: `list the registered tasks or tuning methods, or the backbones of a config
backbones lists the config's backbones (-c): each name with its directory, as cells record it,
and its number of cells; a config with one backbone (backbone:) lists it without a name.`,
		args:    "tasks|methods|backbones",
		maxArgs: 1,
		flags:   lsFlags,
	})
}

func lsFlags(fs *flag.FlagSet) action {
	cfgPath := fs.String("c", "experiments.yaml", "experiment matrix `FILE` (for backbones)")
	return func(args []string, stdout, stderr io.Writer) error {
		if len(args) > 0 && args[0] == "backbones" {
			return lsBackbones(*cfgPath, stdout)
		}
		return runLs(args, stdout, stderr)
	}
}

// lsBackbones lists a config's backbones with the directory its cells record and their count.
func lsBackbones(cfgPath string, stdout io.Writer) error {
	cfg, cells, err := loadPlan(cfgPath, nil, 0)
	if err != nil {
		return err
	}
	count, dir := map[string]int{}, map[string]string{}
	for _, c := range cells {
		count[c.BackboneName]++
		dir[c.BackboneName] = c.Backbone
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "backbone\tdirectory\tcells")
	for _, name := range cfg.BackboneNames() {
		label := name
		if label == "" {
			label = "-"
		}
		d := dir[name]
		if d == "" { // include and exclude leave it no cells
			d, _ = cfg.BackboneDir(name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\n", label, d, count[name])
	}
	return tw.Flush()
}

func runLs(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("which list? want tasks, methods or backbones")
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
		return usageErrorf("unknown list %q: want tasks, methods or backbones", args[0])
	}
	return tw.Flush()
}
