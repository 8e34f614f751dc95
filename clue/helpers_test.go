package clue

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// decodeCase is one row of a task's Decode table: a JSON line and either the Example it
// should become (Line is never set by Decode) or a substring of the error.
type decodeCase struct {
	name string
	raw  string
	want Example
	err  string
}

func runDecodeCases(t *testing.T, task *Task, cases []decodeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := task.Decode([]byte(tc.raw))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Decode error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Decode =\n  %+v\nwant\n  %+v", got, tc.want)
			}
		})
	}
}

func mustLookup(t *testing.T, name string) *Task {
	t.Helper()
	task, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// loadFixture loads a task from testdata under a selection string.
func loadFixture(t *testing.T, task *Task, sel string) *Dataset {
	t.Helper()
	s, err := ParseSelection(sel)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Load(task, "testdata", s)
	if err != nil {
		t.Fatalf("Load(%s, %s): %v", task.Name, sel, err)
	}
	return ds
}

func wantCounts(t *testing.T, ds *Dataset, train, dev, test int) {
	t.Helper()
	if len(ds.Train) != train || len(ds.Dev) != dev || len(ds.Test) != test {
		t.Errorf("%s %s: train/dev/test = %d/%d/%d, want %d/%d/%d", ds.Stats.Task, ds.Stats.Selection,
			len(ds.Train), len(ds.Dev), len(ds.Test), train, dev, test)
	}
}

// writeFiles creates files (path relative to a new temp dir → content) and returns the dir.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func ids(exs []Example) []string {
	out := make([]string, len(exs))
	for i, ex := range exs {
		out[i] = ex.ID
	}
	return out
}
