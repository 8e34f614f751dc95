package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/miniclue"
	"github.com/clue-bench/clue-bench/reports"
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

// TestMethodsConfig checks methods.yaml against experiments.yaml: every registered method, on
// the same task, setting and seed cells, each method with a size knob at the same budget.
func TestMethodsConfig(t *testing.T) {
	key := func(c plan.Cell) string { return c.Task + "/" + c.Setting + "/" + strconv.FormatInt(c.Seed, 10) }
	_, suite, err := loadPlan(filepath.Join("..", "..", "experiments.yaml"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, cells, err := loadPlan(filepath.Join("..", "..", "methods.yaml"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	suiteHyper := map[string]plan.Hyper{} // task/setting/seed → the suite's schedule there
	suiteIDs := map[string]bool{}
	for _, c := range suite {
		want[key(c)] = true
		h := c.Hyper
		h.LR = 0
		suiteHyper[key(c)] = h
		suiteIDs[c.ID] = true
	}
	got := map[string]map[string]bool{} // method → task/setting/seed
	for _, c := range cells {
		// Only the methods and their learning rates differ from the suite: the same data,
		// epochs and evaluation schedule, and fine-tuning's very cells.
		h := c.Hyper
		h.LR = 0
		if sh, ok := suiteHyper[key(c)]; ok && h != sh {
			t.Errorf("%s: hyper-parameters %+v, experiments.yaml's %+v (learning rates aside)", c.Name(), h, sh)
		}
		if c.Method == "fine-tuning" && !suiteIDs[c.ID] {
			t.Errorf("%s: cell id %s is not experiments.yaml's", c.Name(), c.ID)
		}
		if got[c.Method] == nil {
			got[c.Method] = map[string]bool{}
		}
		got[c.Method][key(c)] = true
		spec, err := methods.NewSpec(c.Method, optionsNode(t, c.MethodOptions))
		if err != nil {
			t.Fatalf("%s: %v", c.Method, err)
		}
		var o struct {
			Budget float64 `json:"budget"`
		}
		if err := json.Unmarshal(c.MethodOptions, &o); err != nil {
			t.Fatal(err)
		}
		// Soft tokens at 3% would not leave OCNLI's max_len positions (methods.yaml says why).
		want := 0.03
		if c.Method == "prompt-tuning" {
			want = 0.0275
		}
		if sized := methods.KnobOf(spec) != ""; sized && o.Budget != want {
			t.Errorf("%s: budget %g, want %g", c.Method, o.Budget, want)
		}
	}
	for _, m := range methods.Names() {
		if !maps.Equal(got[m], want) {
			t.Errorf("%s runs %d of experiments.yaml's %d task/setting/seed cells (and %d others)", m, countIn(got[m], want), len(want), len(got[m])-countIn(got[m], want))
		}
	}
}

func countIn(a, b map[string]bool) int {
	n := 0
	for k := range a {
		if b[k] {
			n++
		}
	}
	return n
}

// optionsNode turns a cell's resolved options (JSON) into the YAML node NewSpec takes.
func optionsNode(t *testing.T, raw json.RawMessage) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

// TestMethodTitles keeps reports' display names in step with the titles methods register:
// reports cannot import the methods package, so it keeps its own copy.
func TestMethodTitles(t *testing.T) {
	for _, n := range methods.Names() {
		if got, want := reports.MethodName(n), methods.Title(n); got != want {
			t.Errorf("reports shows %s as %q, its registered title is %q", n, got, want)
		}
	}
}
