package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/clue-bench/clue-bench/reports"
)

func init() {
	register(&command{
		name: "report",
		summary: `aggregate a results directory over seeds into tables, CSV, LaTeX, convergence plots and an index
Writes index.md, tables.md, results.csv, tables.tex, comparisons.md (grid selection, paired
confidence intervals between methods, compute per method) and plots/ into --out (default
DIR/report) and prints tables.md. With --reference, published numbers appear as paper rows and the paper's
claims are checked (claims.json). Failed cells are counted and listed, never averaged.`,
		required: []string{"results"},
		flags:    reportFlags,
	})
}

func reportFlags(fs *flag.FlagSet) action {
	results := fs.String("results", "", "results `DIR` (as written by bench run)")
	out := fs.String("out", "", "report directory `OUT` (default: DIR/report)")
	refPath := fs.String("reference", "", "reference `FILE` with published numbers and claims (e.g. reference.yaml)")
	return func(_ []string, stdout, stderr io.Writer) error {
		if *out == "" {
			*out = filepath.Join(*results, "report")
		}
		set, err := reports.Load(*results)
		if err != nil {
			return err
		}
		var ref *reports.Reference
		if *refPath != "" {
			if ref, err = reports.LoadReference(*refPath); err != nil {
				return err
			}
		}
		rep := reports.New(set, ref)
		files, err := rep.Write(*out)
		if err != nil {
			return fmt.Errorf("report %s: %w", *out, err)
		}
		// Print what was written rather than render twice, so stdout and tables.md cannot differ.
		md, err := os.ReadFile(filepath.Join(*out, reports.FileTables))
		if err != nil {
			return err
		}
		if _, err := stdout.Write(md); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "bench report: %d ok, %d failed cells; %d files in %s (start at %s)\n",
			len(set.OK), len(set.Failed), len(files), *out, filepath.Join(*out, reports.FileIndex))
		return nil
	}
}
