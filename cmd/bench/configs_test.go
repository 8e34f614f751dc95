package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/clue-bench/clue-bench/miniclue"
)

// The configs shipped at the top of the repository load and expand with the real
// registries, and the built-in suite plus extra.yaml run every mini-CLUE task exactly once.
func TestShippedConfigs(t *testing.T) {
	tasksOf := map[string][]string{}
	t.Setenv("CLUE_DATA", t.TempDir()) // paper.yaml's paths; loading does not read them
	t.Setenv("CLUE_BACKBONE", t.TempDir())
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
