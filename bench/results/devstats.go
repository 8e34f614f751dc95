package results

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/clue-bench/clue-bench/internal/atomicfile"
)

// DevStatsSchema is the version of the DevStats layout; ReadDevStats refuses others.
const DevStatsSchema = 1

// DevStats is a cell's cells/<key>.dev.json: the per-example statistics of the headline metric
// (clue.ExampleStatsOf) of its best dev evaluation, the one Result.Best records, so that a
// report can bootstrap over dev examples without the predictions. Rows sum to the statistics
// the headline recomputes from (clue.StatsCombiner); DevHash (clue.ExamplesHash) tells
// whether two cells scored the same dev examples in the same order, so that their rows pair.
type DevStats struct {
	Schema    int    `json:"schema"`
	Task      string `json:"task"`
	Selection string `json:"selection"` // the cell's split: full, few:0, kshot:16:1, ...
	Split     string `json:"split"`     // "dev"
	Metric    string `json:"metric"`
	Examples  int    `json:"examples"`
	DevHash   string `json:"dev_hash"`
	// Columns name the values of each row; Rows hold one per dev example, in file order.
	Columns []string    `json:"columns"`
	Rows    [][]float64 `json:"rows"`
}

// check reports a file whose header does not describe its rows.
func (d *DevStats) check() error {
	if d.Schema != DevStatsSchema {
		return fmt.Errorf("schema %d, this build reads %d", d.Schema, DevStatsSchema)
	}
	if d.Metric == "" || len(d.Columns) == 0 {
		return fmt.Errorf("no metric or no columns")
	}
	if d.Examples != len(d.Rows) || d.Examples == 0 {
		return fmt.Errorf("%d rows for %d examples", len(d.Rows), d.Examples)
	}
	for i, r := range d.Rows {
		if len(r) != len(d.Columns) {
			return fmt.Errorf("row %d has %d values for %d columns", i, len(r), len(d.Columns))
		}
	}
	return nil
}

// WriteDevStats writes d to path atomically, stamping the schema.
func WriteDevStats(path string, d *DevStats) error {
	d.Schema = DevStatsSchema
	if err := d.check(); err != nil {
		return fmt.Errorf("dev statistics %s: %w", path, err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("dev statistics %s: %w", path, err)
	}
	return atomicfile.Write(path, append(b, '\n'))
}

// ReadDevStats reads and checks a dev statistics file.
func ReadDevStats(path string) (*DevStats, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dev statistics: %w", err)
	}
	var d DevStats
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("dev statistics %s: %w", path, err)
	}
	if err := d.check(); err != nil {
		return nil, fmt.Errorf("dev statistics %s: %w", path, err)
	}
	return &d, nil
}
