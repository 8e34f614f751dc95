package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/plan"
)

// grid.yaml, the example sweep, loads with the real registries and expands into its grid
// points, and `bench plan` states the grid's size and steps.
func TestGridConfig(t *testing.T) {
	cfg, cells, err := loadPlan(filepath.Join("..", "..", "grid.yaml"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	points, combos := cfg.GridSize()
	if points != 4 || combos != 2 || len(cells) != points*len(cfg.Seeds) {
		t.Fatalf("grid.yaml: %d points over %d combinations, %d cells", points, combos, len(cells))
	}
	rows := []planRow{{Steps: 100}, {Steps: 20}, {Steps: -1}}
	var buf bytes.Buffer
	planGridSummary(&buf, cfg, rows)
	want := "grid: 4 points over 2 task/method/setting combinations (methods.fine-tuning.lr=[0.0003 0.001], methods.fl-tuning.lr=[0.003 0.01])\n" +
		"steps: 120 in all over the listed cells; 1 cell(s) not counted (training data not readable yet)\n"
	if buf.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", buf.String(), want)
	}
	// A config without lists prints no more than before.
	buf.Reset()
	plain, err := plan.ParseConfig("x.yaml", []byte("tasks: {tnews: {}}\nmethods: {fl-tuning: {}}\n"), registry(0))
	if err != nil {
		t.Fatal(err)
	}
	planGridSummary(&buf, plain, rows)
	if buf.Len() != 0 || strings.Contains(buf.String(), "grid") {
		t.Errorf("summary without lists: %q", buf.String())
	}
}
