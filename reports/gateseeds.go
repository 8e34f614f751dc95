package reports

import (
	"fmt"
	"slices"
)

// seeds lists the seeds of the group's cells that have the metric, in order.
func (g *Group) seeds(metric string) []int64 {
	var out []int64
	for _, r := range g.Cells {
		if _, ok := r.Best[metric]; ok {
			out = append(out, r.Cell.Seed)
		}
	}
	return out
}

// seedsWarning says when a baseline entry and the current results summarise different seeds:
// the gate is meant to compare like with like (the same grid point over the same seeds), and a
// changed seed set moves the mean by seed noise alone. Baselines that predate recorded seeds
// give no warning.
func seedsWarning(base, now BaselineEntry) string {
	if base.Seeds == nil || slices.Equal(base.Seeds, now.Seeds) {
		return ""
	}
	return fmt.Sprintf("seeds differ: %s metric %s has seeds %v in the baseline and %v now", base.Key, base.Metric, base.Seeds, now.Seeds)
}
