package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/clue-bench/clue-bench/clue"
)

func init() {
	registerData(&command{
		name:     "check",
		summary:  "load one task's data and print counts, label distributions, dropped rows and resolved paths as JSON",
		required: []string{"task", "data"},
		flags:    dataCheckFlags,
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

func dataCheckFlags(fs *flag.FlagSet) action {
	taskName := fs.String("task", "", "task `NAME`: "+strings.Join(clue.Names(), ", "))
	dataDir := fs.String("data", "", "data `DIR` holding the task folders (afqmc_public/, tnews/, ...)")
	split := fs.String("split", "full", "data `SELECTION`: full, few:0..few:4, few:all or kshot:K:SEED")
	return func(_ []string, stdout, stderr io.Writer) error {
		task, err := clue.Lookup(*taskName)
		if err != nil {
			return fmt.Errorf("--task: %w", err)
		}
		sel, err := clue.ParseSelection(*split)
		if err != nil {
			return usageErrorf("%v", err)
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
