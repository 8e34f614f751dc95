package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

var csvHeader = []string{"setting", "split", "regime", "task", "method", "seed", "metric", "headline", "higher_is_better",
	"value", "trainable_pct", "steps", "best_step", "train_s", "wall_s", "flags"}

// WriteCSV writes results.csv in long format: one row per ok cell and metric, so that any
// tool can regroup it. Failed cells have no metrics and are listed in tables.md instead.
// Results of several backbones have a first column, backbone; those of one have none.
// Results with grid points list every point's cells, with two last columns: grid and chosen
// (whether the point is the one the report selected).
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	multi := severalBackbones(r.Groups)
	header := csvHeader
	if multi {
		header = append([]string{"backbone"}, csvHeader...)
	}
	groups, chosen := r.csvGroups()
	if chosen != nil {
		header = append(append([]string(nil), header...), "grid", "chosen")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, g := range groups {
		for _, c := range g.Cells {
			conv := CellConvergence(c)
			for i, m := range c.Metrics {
				v, ok := c.Best[m.Name]
				if !ok {
					continue
				}
				row := []string{g.Setting, g.Split, Regime(g.Split), g.Task, g.Method, strconv.FormatInt(c.Cell.Seed, 10),
					m.Name, strconv.FormatBool(i == 0), strconv.FormatBool(m.HigherIsBetter), f(v),
					f(math.Round(1e6*c.Params.Ratio) / 1e4), // % to 4 decimals: 100·ratio carries float noise
					strconv.Itoa(c.Steps), strconv.Itoa(conv.BestStep),
					f(c.Time.TrainS), f(c.Time.WallS), strings.Join(c.Flags, ";")}
				if multi {
					row = append([]string{g.Backbone}, row...)
				}
				if chosen != nil {
					k := g.Key
					k.Grid = ""
					row = append(row, g.Grid, strconv.FormatBool(chosen[k] == g.Grid))
				}
				if err := cw.Write(row); err != nil {
					return fmt.Errorf("%s: %w", c.Cell.Key(), err)
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvGroups are the groups results.csv lists: the report's own, or every grid point's where
// the results have grid points, with the chosen point of each key (its Grid field cleared).
func (r *Report) csvGroups() ([]*Group, map[Key]string) {
	if len(r.Selections) == 0 {
		return r.Groups, nil
	}
	chosen := map[Key]string{}
	for _, s := range r.Selections {
		k := s.Key
		k.Grid = ""
		chosen[k] = s.Grid
	}
	return Aggregate(r.Set.OK), chosen
}
