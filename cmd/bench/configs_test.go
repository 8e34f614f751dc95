package main

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/miniclue"
)

// The configs shipped at the top of the repository load and expand with the real
// registries, and the built-in suite plus extra.yaml run every mini-CLUE task exactly once.
func TestShippedConfigs(t *testing.T) {
	tasksOf := map[string][]string{}
	t.Setenv("CLUE_DATA", t.TempDir()) // paper.yaml's paths; loading does not read them
	t.Setenv("CLUE_MODELS", t.TempDir())
	for _, name := range []string{"experiments.yaml", "extra.yaml", "paper.yaml"} {
		_, cells, err := loadPlan(filepath.Join("..", "..", name), nil, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(cells) == 0 {
			t.Fatalf("%s: no cells", name)
		}
		for _, c := range cells {
			if !slices.Contains(tasksOf[name], c.Task) {
				tasksOf[name] = append(tasksOf[name], c.Task)
			}
		}
	}
	// paper.yaml: the paper's matrix. Full data: the eleven CLUE tasks; few-shot: FewCLUE's
	// nine over its five folds, and CLUENER over five K-shot draws; three backbones, three
	// methods, three seeds with full data and one per fold.
	count := map[string]int{}
	for _, c := range paperCells(t) {
		count[c.Task+"/"+c.Setting]++
	}
	want := map[string]int{}
	for _, task := range []string{"afqmc", "tnews", "iflytek", "ocnli", "cmnli", "csl", "wsc", "wsc10", "cluener", "cmrc2018", "chid", "c3"} {
		want[task+"/full"] = 27
	}
	for _, task := range []string{"eprstmt", "csldcp", "tnews", "iflytek", "ocnli", "bustm", "chid", "csl", "wsc"} {
		for k := 0; k < 5; k++ {
			want[fmt.Sprintf("%s/few%d", task, k)] = 9
		}
	}
	for k := 0; k < 5; k++ {
		want[fmt.Sprintf("cluener/kshot%d", k)] = 9
	}
	if !maps.Equal(count, want) {
		t.Errorf("paper.yaml cells per task/setting:\n got %v\nwant %v", count, want)
	}

	// miniclue names the WSC directory after the CLUE release; the task is "wsc".
	benchName := map[string]string{"cluewsc2020": "wsc"}
	for _, n := range miniclue.TaskNames() {
		task := n
		if b, ok := benchName[n]; ok {
			task = b
		}
		inSuite := slices.Contains(tasksOf["experiments.yaml"], task)
		inExtra := slices.Contains(tasksOf["extra.yaml"], task)
		if inSuite == inExtra {
			t.Errorf("mini-CLUE task %s: in experiments.yaml %v, in extra.yaml %v; want exactly one", task, inSuite, inExtra)
		}
	}
}

// paperCells are paper.yaml's cells, with its paths pointing at empty directories.
func paperCells(t *testing.T) []plan.Cell {
	t.Helper()
	t.Setenv("CLUE_DATA", t.TempDir())
	t.Setenv("CLUE_MODELS", t.TempDir())
	_, cells, err := loadPlan(filepath.Join("..", "..", "paper.yaml"), nil, 0)
	if err != nil {
		t.Fatalf("paper.yaml: %v", err)
	}
	return cells
}
