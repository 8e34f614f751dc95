package clue

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNames checks the listing against the registry it lists: sorted, each name finding its
// own task, and every fixture folder under testdata read by some registered task, so that a
// task whose registration went missing fails here although no test names it.
func TestNames(t *testing.T) {
	names := Names()
	if len(names) == 0 {
		t.Fatal("no tasks registered")
	}
	if !slices.IsSorted(names) {
		t.Errorf("Names() = %v, not sorted", names)
	}
	read := map[string]bool{}
	for _, n := range names {
		task, err := Lookup(n)
		if err != nil || task.Name != n {
			t.Errorf("Lookup(%q) = %v, %v", n, task, err)
			continue
		}
		for _, d := range task.Dirs {
			read[d] = true
		}
		for _, d := range task.FewShotDir {
			read[d] = true
			read[filepath.Join("fewclue", d)] = true
		}
	}
	var folders []string
	for _, top := range []string{"", "fewclue"} {
		entries, err := os.ReadDir(filepath.Join("testdata", top))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() && !(top == "" && e.Name() == "fewclue") {
				folders = append(folders, filepath.Join(top, e.Name()))
			}
		}
	}
	for _, f := range folders {
		if !read[f] {
			t.Errorf("testdata/%s is read by no registered task", f)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		query   string
		suggest string // "" = no suggestion expected
	}{
		{"tnew", "tnews"},
		{"TNEWS", "tnews"},
		{"afqcm", "afqmc"},
		{"cluewsc2020", "wsc"},
		{"cluewsc10", "wsc10"},
		{"drcd", ""},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			task, err := Lookup(tc.query)
			if err == nil {
				t.Fatalf("Lookup(%q) = %s, want an error", tc.query, task.Name)
			}
			msg := err.Error()
			if !strings.Contains(msg, "known: "+strings.Join(Names(), ", ")) {
				t.Errorf("error does not list the tasks: %s", msg)
			}
			hint := fmt.Sprintf("did you mean %q", tc.suggest)
			if tc.suggest != "" && !strings.Contains(msg, hint) {
				t.Errorf("error %q lacks %s", msg, hint)
			}
			if tc.suggest == "" && strings.Contains(msg, "did you mean") {
				t.Errorf("unexpected suggestion in %q", msg)
			}
		})
	}
	if task, err := Lookup("ocnli"); err != nil || task.Name != "ocnli" {
		t.Errorf("Lookup(ocnli) = %v, %v", task, err)
	}
}

// TestRegisteredTasksDeclareMetrics guards the runner's assumptions: accuracy is the headline
// of classification tasks, and every metric says which direction is better.
func TestRegisteredTasksDeclareMetrics(t *testing.T) {
	for _, name := range Names() {
		task := mustLookup(t, name)
		if task.Kind != Classification {
			continue // structured tasks test their own metrics
		}
		if h := task.Headline(); h.Name != "accuracy" || !h.HigherIsBetter {
			t.Errorf("%s: headline %+v, want accuracy, higher is better", name, h)
		}
		if len(task.Metrics) < 2 || task.Metrics[1].Name != "macro_f1" {
			t.Errorf("%s: metrics %+v, want accuracy then macro_f1", name, task.Metrics)
		}
		if task.Kind != Classification {
			t.Errorf("%s: kind %q", name, task.Kind)
		}
	}
}

func TestRegisterRejects(t *testing.T) {
	valid := func() *Task {
		return &Task{
			Name: "toy", Kind: Classification, Dirs: []string{"toy"},
			Files:  map[string]string{"train": "train.json", "dev": "dev.json"},
			Labels: []string{"a", "b"}, Decode: singleText("s", []string{"a", "b"}),
			Submission: "toy_predict.json", Metrics: classificationMetrics(),
		}
	}
	tests := []struct {
		name   string
		mutate func(*Task)
		want   string
	}{
		{"duplicate", func(t *Task) { t.Name = "afqmc" }, "duplicate task afqmc"},
		{"upper case name", func(t *Task) { t.Name = "Toy" }, "lower case"},
		{"colon in name", func(t *Task) { t.Name = "to:y" }, "lower case"},
		{"no decoder", func(t *Task) { t.Decode = nil }, "nil Decode"},
		{"no labels", func(t *Task) { t.Labels = nil }, "no labels"},
		{"repeated label", func(t *Task) { t.Labels = []string{"a", "a"} }, `repeated label "a"`},
		{"no folders", func(t *Task) { t.Dirs = nil }, "neither Dirs nor FewShotDir"},
		{"no dev file", func(t *Task) { delete(t.Files, "dev") }, `no "dev" entry`},
		{"few without submission name", func(t *Task) { t.FewShotDir = []string{"toy"} }, "no FewSubmission"},
		{"unknown metric", func(t *Task) { t.Metrics = []Metric{{Name: "bleu", HigherIsBetter: true}} }, `unknown metric "bleu"`},
		{"no kind", func(t *Task) { t.Kind = "" }, "empty Kind"},
		{"headline without example statistics", func(t *Task) {
			t.Metrics = []Metric{{Name: "no_example_stats", HigherIsBetter: true}, {Name: "accuracy", HigherIsBetter: true}}
		}, `headline metric "no_example_stats" has no per-example statistics`},
	}
	// A metric that scores but has no per-example statistics (a second run of the test in one
	// process finds it registered).
	if _, ok := metricFuncs["classification/no_example_stats"]; !ok {
		registerMetric("classification/no_example_stats", labelMetric(accuracy))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task := valid()
			tc.mutate(task)
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("Register did not panic")
				}
				if msg := fmt.Sprint(r); !strings.Contains(msg, tc.want) {
					t.Errorf("panic %q, want it to contain %q", msg, tc.want)
				}
				if _, err := Lookup("toy"); err == nil {
					t.Error("rejected task was registered")
				}
			}()
			Register(task)
		})
	}
	if err := validate(valid()); err != nil {
		t.Errorf("the valid base declaration is rejected: %v", err)
	}
}

// TestFixturesLoadForEveryTask reads every selection each registered task supports, so a new
// task file without fixtures, or with fixtures its decoder rejects, fails here.
func TestFixturesLoadForEveryTask(t *testing.T) {
	for _, name := range Names() {
		task := mustLookup(t, name)
		var sels []string
		if len(task.Dirs) > 0 {
			sels = append(sels, "full", "kshot:1:0")
		}
		if len(task.FewShotDir) > 0 {
			sels = append(sels, "few:0", "few:1", "few:2", "few:3", "few:4", "few:all")
		}
		for _, sel := range sels {
			t.Run(name+"/"+sel, func(t *testing.T) {
				ds := loadFixture(t, task, sel)
				if len(ds.Train) == 0 || len(ds.Dev) == 0 || len(ds.Test) == 0 {
					t.Fatalf("train/dev/test = %d/%d/%d, want all non-empty", len(ds.Train), len(ds.Dev), len(ds.Test))
				}
				for split, exs := range map[string][]Example{"train": ds.Train, "dev": ds.Dev, "test": ds.Test} {
					for _, ex := range exs {
						if ex.ID == "" || ex.Line < 1 || ex.TextA == "" || ex.Label >= len(task.Labels) {
							t.Errorf("%s: bad example %+v", split, ex)
						}
						if split != "test" && !ex.Labelled() {
							t.Errorf("%s: unlabelled example %+v", split, ex)
						}
						if strings.HasPrefix(sel, "few") && !ex.Labelled() {
							t.Errorf("%s: FewCLUE test_public row unlabelled: %+v", split, ex)
						}
					}
				}
			})
		}
	}
}
