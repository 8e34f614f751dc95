//go:build cgo

package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/scale/fixture"
)

// The fixture's matrix with its backbone named on a stand-in hub and data_dir: clue served
// as a CLUE zip trains to the same numbers as with the directories themselves, records the
// names, and runs again offline from the caches without a request.
func TestRunOnHubBackboneAndFetchedData(t *testing.T) {
	dir, p := tinyMatrix(t, "")
	files := map[string][]byte{}
	var err error
	for _, f := range []string{"config.json", "vocab.txt", "model.safetensors"} {
		if files[f], err = os.ReadFile(filepath.Join(p.Model, f)); err != nil {
			t.Fatal(err)
		}
	}
	s := hubEnv(t, "fixture/tiny-bert", files)
	clueEnv(t, map[string][]byte{"afqmc_public.zip": zipDir(t, filepath.Join(p.Data, "afqmc_public"))})

	named := filepath.Join(dir, "named.yaml")
	text := strings.NewReplacer("backbone: model\n", "backbone: fixture/tiny-bert\n", "data_dir: data\n", "data_dir: clue\n",
		"out: results\n", "out: results-named\n").Replace(fixture.Config)
	if err := os.WriteFile(named, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	only := "afqmc/fine-tuning/*/s1"
	for _, cfg := range []string{p.Config, named} {
		if code, stdout, stderr := runBench(t, "run", "-c", cfg, "--only", only); code != 0 {
			t.Fatalf("run %s: exit %d\n%s%s", cfg, code, stdout, stderr)
		}
	}
	read := func(out string) *results.Result {
		t.Helper()
		store := &results.Store{Dir: filepath.Join(dir, out)}
		r, err := store.Read("afqmc__fine-tuning__full__s1")
		if err != nil || r == nil {
			t.Fatalf("%s: %v", out, err)
		}
		return r
	}
	a, b := read("results"), read("results-named")
	for _, r := range []*results.Result{a, b} {
		for i := range r.Curve {
			r.Curve[i].ElapsedS = 0 // wall time, the one thing allowed to differ
		}
	}
	if len(a.Curve) == 0 || !reflect.DeepEqual(a.Curve, b.Curve) || !reflect.DeepEqual(a.Best, b.Best) {
		t.Errorf("numbers differ:\n%+v\n%+v", a.Curve, b.Curve)
	}
	if b.Cell.Backbone != "fixture/tiny-bert" || b.Cell.DataDir != "clue" {
		t.Errorf("recorded backbone %q, data_dir %q", b.Cell.Backbone, b.Cell.DataDir)
	}

	// Offline and with nothing listening, the caches answer: no request.
	n := len(s.Requests())
	s.Close()
	t.Setenv("HF_HUB_OFFLINE", "1")
	if code, stdout, stderr := runBench(t, "run", "-c", named, "--only", only, "--force"); code != 0 || len(s.Requests()) != n {
		t.Fatalf("offline rerun: exit %d, %d requests\n%s%s", code, len(s.Requests())-n, stdout, stderr)
	}
	if c := read("results-named"); !reflect.DeepEqual(c.Best, b.Best) {
		t.Errorf("offline rerun: %v, want %v", c.Best, b.Best)
	}

	// A frozen plan carries the names, and run-cell resolves them the same way.
	planPath := filepath.Join(dir, "plan.json")
	if code, stdout, stderr := runBench(t, "plan", "-c", named, "--only", only, "--freeze", planPath); code != 0 {
		t.Fatalf("freeze: exit %d\n%s%s", code, stdout, stderr)
	}
	frozen, err := os.ReadFile(planPath)
	if err != nil || !strings.Contains(string(frozen), `"backbone": "fixture/tiny-bert"`) || !strings.Contains(string(frozen), `"data_dir": "clue"`) {
		t.Fatalf("frozen plan: %v\n%s", err, frozen)
	}
	if code, stdout, stderr := runBench(t, "run-cell", "--plan", planPath, "--index", "0", "--out", filepath.Join(dir, "results-cell")); code != 0 {
		t.Fatalf("run-cell: exit %d\n%s%s", code, stdout, stderr)
	}
	if c := read("results-cell"); !reflect.DeepEqual(c.Best, b.Best) {
		t.Errorf("run-cell: %v, want %v", c.Best, b.Best)
	}
}
