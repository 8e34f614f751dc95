package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/clue-bench/clue-bench/clue"
)

func init() {
	registerData(&command{
		name:    "check",
		usage:   "--task NAME --data DIR [--split full|few:0..few:4|few:all|kshot:K:SEED]",
		summary: "load one task's data and print counts, label distributions, dropped rows and resolved paths as JSON",
		run:     runDataCheck,
	})
}

// dataCheckReport is what `bench data check` prints: Load's stats plus the task facts a reader
// needs to judge them (label set, submission file name).
type dataCheckReport struct {
	clue.Stats
	Kind       string   `json:"kind"`
	Labels     []string `json:"labels"`
	Submission string   `json:"submission"`
}

func runDataCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("data check", stderr)
	taskName := fs.String("task", "", "task name: "+strings.Join(clue.Names(), ", "))
	dataDir := fs.String("data", "", "data directory holding the task folders (afqmc_public/, tnews/, ...)")
	split := fs.String("split", "full", "full, few:0..few:4, few:all or kshot:K:SEED")
	if err := parseClueFlags(fs.Parse(args), fs.Args()); err != nil {
		return err
	}
	if *dataDir == "" {
		return &exitError{code: 2, msg: "--data is required"}
	}
	task, err := lookupClueTask(*taskName)
	if err != nil {
		return err
	}
	sel, err := clue.ParseSelection(*split)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	ds, err := clue.Load(task, *dataDir, sel)
	if err != nil {
		return err
	}
	return writeClueJSON(stdout, dataCheckReport{
		Stats:      ds.Stats,
		Kind:       task.Kind,
		Labels:     task.Labels,
		Submission: task.SubmissionFile(sel),
	})
}

// parseClueFlags turns flag-parsing outcomes into the dispatcher's conventions: -h exits 0,
// a bad flag (already reported by the flag package) or a stray argument exits 2.
func parseClueFlags(parseErr error, rest []string) error {
	if parseErr != nil {
		if errors.Is(parseErr, flag.ErrHelp) {
			return parseErr
		}
		return &exitError{code: 2}
	}
	if len(rest) > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	return nil
}

// lookupClueTask resolves --task; a missing name is a usage error, an unknown one lists the
// known tasks (and a near match) through clue.Lookup.
func lookupClueTask(name string) (*clue.Task, error) {
	if name == "" {
		return nil, &exitError{code: 2, msg: "--task is required (one of " + strings.Join(clue.Names(), ", ") + ")"}
	}
	return clue.Lookup(name)
}

// writeClueJSON prints one indented JSON object; Chinese label strings stay readable.
func writeClueJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}
