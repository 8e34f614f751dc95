package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/clue-bench/clue-bench/reports"
)

func init() {
	register(&command{
		name:  "report",
		usage: "--results DIR [--out DIR] [--reference reference.yaml]",
		summary: `aggregate a results directory over seeds into tables, CSV, LaTeX, convergence plots and an index
Writes index.md, tables.md, results.csv, tables.tex and plots/ into --out (default DIR/report)
and prints tables.md. With --reference, published numbers appear as paper rows and the paper's
claims are checked (claims.json). Failed cells are counted and listed, never averaged.`,
		run: runReport,
	})
}

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", stderr)
	results := fs.String("results", "", "results directory (as written by bench run)")
	out := fs.String("out", "", "report directory (default: <results>/report)")
	refPath := fs.String("reference", "", "reference file with published numbers and claims (e.g. reference.yaml)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("unexpected arguments %q", fs.Args())}
	}
	if *results == "" {
		return &exitError{code: 2, msg: "--results is required"}
	}
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
