package bench

import (
	"fmt"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/clue"
)

// keepDevStats writes the per-example statistics of the headline metric of the best dev
// evaluation (the loop keeps its predictions, so dev is not predicted again) beside the
// result, and records the file in res. A failure is logged and leaves res without it, as
// keepWeights does: the cell's result is worth more than what a report's bootstrap needs.
func keepDevStats(env cellEnv, cell plan.Cell, in *cellInputs, pred []clue.Prediction, res *results.Result) {
	if pred == nil {
		return // no dev evaluation was made
	}
	path := env.store.DevStatsPath(cell.Key())
	d, err := devStats(in, pred)
	if err == nil {
		err = results.WriteDevStats(path, d)
	}
	if err != nil {
		env.logf("warning: per-example dev statistics not kept: %v", err)
		return
	}
	res.DevStats = relPath(env.store.Dir, path)
}

// devStats computes the headline's per-example statistics over the cell's dev examples.
func devStats(in *cellInputs, pred []clue.Prediction) (*results.DevStats, error) {
	metric := in.task.Headline().Name
	st, err := clue.ExampleStatsOf(in.task, metric, in.ds.Dev, pred)
	if err != nil {
		return nil, fmt.Errorf("dev statistics: %w", err)
	}
	return &results.DevStats{Task: in.task.Name, Selection: in.sel.String(), Split: "dev", Metric: metric,
		Examples: len(st.Rows), DevHash: clue.ExamplesHash(in.ds.Dev), Columns: st.Columns, Rows: st.Rows}, nil
}
