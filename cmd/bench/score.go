package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/clue-bench/clue-bench/clue"
)

func init() {
	register(&command{
		name: "score",
		summary: "score a submission-format prediction file against a labelled data file, matching by id\n\n" +
			"Prints every metric the task declares, in percent. cluener: f1 (the headline), precision\n" +
			"and recall over exact (type, start, end) entities, and official_f1 as CLUENER's score.py\n" +
			"defines it (per-type sets of entity strings, F1 macro-averaged over the types).",
		required: []string{"task", "gold", "pred"},
		flags:    scoreFlags,
	})
}

// scoreReport is what `bench score` prints.
type scoreReport struct {
	Task           string             `json:"task"`
	Gold           string             `json:"gold"`
	Pred           string             `json:"pred"`
	Examples       int                `json:"examples"`
	IgnoredDropped int                `json:"ignored_dropped"` // predictions for gold rows the task drops (OCNLI "-")
	Headline       string             `json:"headline"`
	Metrics        map[string]float64 `json:"metrics"`
	HigherIsBetter map[string]bool    `json:"higher_is_better"`
}

func scoreFlags(fs *flag.FlagSet) action {
	taskName := fs.String("task", "", "task `NAME`: "+strings.Join(clue.Names(), ", "))
	goldPath := fs.String("gold", "", "labelled `FILE` in the task's data format (e.g. dev.json, test_public.json)")
	predPath := fs.String("pred", "", "prediction `FILE` in the task's submission format: one {\"id\": ..., \"label\": ...} per line")
	return func(_ []string, stdout, stderr io.Writer) error {
		task, err := clue.Lookup(*taskName)
		if err != nil {
			return fmt.Errorf("--task: %w", err)
		}
		gold, err := clue.ReadFile(task, *goldPath)
		if err != nil {
			return err
		}
		byID := make(map[string]int, len(gold.Examples))
		for i, ex := range gold.Examples {
			if !ex.Labelled() {
				return fmt.Errorf("%s:%d: field \"label\": missing (the gold file must be labelled)", *goldPath, ex.Line)
			}
			if j, dup := byID[ex.ID]; dup {
				return fmt.Errorf("%s:%d: id %s repeats line %d, so predictions cannot be matched", *goldPath, ex.Line, ex.ID, gold.Examples[j].Line)
			}
			byID[ex.ID] = i
		}
		dropped := make(map[string]bool, len(gold.Dropped))
		for _, ex := range gold.Dropped {
			dropped[ex.ID] = true
		}

		f, err := os.Open(*predPath)
		if err != nil {
			return err
		}
		defer f.Close()
		ids, preds, err := clue.ReadPredictions(f, *predPath, task)
		if err != nil {
			return err
		}
		pred := make([]clue.Prediction, len(gold.Examples))
		have := make([]bool, len(gold.Examples))
		var extra []string
		ignored := 0
		for k, id := range ids {
			i, ok := byID[id]
			switch {
			case ok:
				pred[i], have[i] = preds[k], true
			case dropped[id]:
				ignored++
			default:
				extra = append(extra, id)
			}
		}
		var missing []string
		for i, ex := range gold.Examples {
			if !have[i] {
				missing = append(missing, ex.ID)
			}
		}
		if len(missing) > 0 || len(extra) > 0 {
			var parts []string
			if len(missing) > 0 {
				parts = append(parts, fmt.Sprintf("%d gold ids have no prediction (%s)", len(missing), firstIDs(missing)))
			}
			if len(extra) > 0 {
				parts = append(parts, fmt.Sprintf("%d predicted ids are not in %s (%s)", len(extra), *goldPath, firstIDs(extra)))
			}
			return fmt.Errorf("%s: %s", *predPath, strings.Join(parts, "; "))
		}
		metrics, err := clue.Evaluate(task, gold.Examples, pred)
		if err != nil {
			return err
		}
		hib := make(map[string]bool, len(task.Metrics))
		for _, m := range task.Metrics {
			hib[m.Name] = m.HigherIsBetter
		}
		return writeClueJSON(stdout, scoreReport{
			Task:           task.Name,
			Gold:           *goldPath,
			Pred:           *predPath,
			Examples:       len(gold.Examples),
			IgnoredDropped: ignored,
			Headline:       task.Headline().Name,
			Metrics:        metrics,
			HigherIsBetter: hib,
		})
	}
}

// firstIDs lists a few ids for an error message.
func firstIDs(ids []string) string {
	const n = 5
	if len(ids) <= n {
		return "ids " + strings.Join(ids, ", ")
	}
	return "ids " + strings.Join(ids[:n], ", ") + ", ..."
}
