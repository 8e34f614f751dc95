//go:build cgo

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/scale/fixture"
)

// TestDataCheckPublishedLayouts reads every task's folders as the CLUE zips and FewCLUE's
// repository publish them (extra test, label and unlabelled files beside the ones read;
// FewCLUE folders directly under the data dir and under fewclue/) with `bench data check`:
// every selection of every task reads, and a bad line names its file and line.
func TestDataCheckPublishedLayouts(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := fixture.PublishedLayout(fixtures, data); err != nil {
		t.Fatal(err)
	}
	for _, name := range clue.Names() {
		task, err := clue.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		var splits []string
		if len(task.Dirs) > 0 {
			splits = append(splits, "full")
		}
		if len(task.FewShotDir) > 0 {
			splits = append(splits, "few:0", "few:1", "few:2", "few:3", "few:4", "few:all")
		}
		for _, split := range splits {
			code, stdout, stderr := runBench(t, "data", "check", "--task", name, "--data", data, "--split", split)
			if code != 0 || !strings.Contains(stdout, `"task"`) {
				t.Errorf("%s %s: exit %d\n%s%s", name, split, code, stdout, stderr)
			}
		}
	}
	for _, name := range []string{"unlabeled.json", "test.json"} {
		if _, err := os.Stat(filepath.Join(data, "csldcp", name)); err != nil {
			t.Errorf("published layout lacks csldcp/%s: %v", name, err)
		}
	}

	// A damaged line in a fold file and in a CLUE file: the error names both.
	for _, c := range []struct{ task, split, file string }{
		{"csldcp", "few:3", filepath.Join(data, "csldcp", "dev_3.json")},
		{"chid", "few:all", filepath.Join(data, "fewclue", "chid", "train_few_all.json")},
		{"iflytek", "full", filepath.Join(data, "iflytek_public", "train.json")},
	} {
		b, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(b), "\n")
		lines[1] = `{"broken": ` + "\n"
		if err := os.WriteFile(c.file, []byte(strings.Join(lines, "")), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runBench(t, "data", "check", "--task", c.task, "--data", data, "--split", c.split)
		if code != 1 || !strings.Contains(stderr, c.file+":2:") {
			t.Errorf("%s %s with a broken line 2: exit %d, stderr %q; want 1 naming %s:2", c.task, c.split, code, stderr, c.file)
		}
	}
}
