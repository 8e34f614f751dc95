package clue

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadDataEveryTask damages the training file of every registered task's fixture, in each
// task's own format (JSON lines, C3's and CMRC's JSON documents, CHID's records with answer
// files), and requires Load to refuse it with an error that names the file: a truncated record,
// a record of the wrong JSON type, and bytes that are no JSON at all.
func TestBadDataEveryTask(t *testing.T) {
	damage := []struct {
		name string
		fn   func(good []byte) []byte
	}{
		{"truncated", func(good []byte) []byte {
			// Cut inside the first record: JSON lines lose their first line's end, a JSON
			// document its closing brackets.
			if i := strings.IndexByte(string(good), '\n'); i > 2 {
				return append(append([]byte{}, good[:i/2]...), good[i:]...)
			}
			return good[:len(good)/2]
		}},
		{"wrong type", func([]byte) []byte { return []byte("[1, 2, 3]\n") }},
		{"not json", func([]byte) []byte { return []byte("\x00\xff\xfe not json at all\n") }},
	}
	for _, name := range Names() {
		task := mustLookup(t, name)
		sel := "full"
		if _, err := Load(task, "testdata", Full); err != nil {
			sel = "few:0" // a FewCLUE-only task
		}
		good := loadFixture(t, task, sel)
		train := good.Stats.Files["train"].Path
		for _, d := range damage {
			t.Run(name+"/"+d.name, func(t *testing.T) {
				root := t.TempDir()
				dir := filepath.Join(root, filepath.Base(good.Stats.Dir))
				copyDir(t, good.Stats.Dir, dir)
				// C3 joins several files into one split ("d-train.json+m-train.json"): damage the first.
				victim := filepath.Join(dir, filepath.Base(strings.Split(train, "+")[0]))
				b, err := os.ReadFile(victim)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(victim, d.fn(b), 0o644); err != nil {
					t.Fatal(err)
				}
				s, _ := ParseSelection(sel)
				_, err = Load(task, root, s)
				if err == nil {
					t.Fatalf("Load accepted a damaged %s", victim)
				}
				msg := err.Error()
				if !strings.Contains(msg, victim) {
					t.Errorf("error does not name %s: %v", victim, err)
				}
				for _, bad := range []string{"panic", "goroutine "} {
					if strings.Contains(msg, bad) {
						t.Errorf("error shows %q: %v", bad, err)
					}
				}
			})
		}
	}
}

// copyDir copies the regular files of one fixture folder (no subfolders).
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
