package miniclue

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The default tree is generated once per test binary; most tests only read it.
var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureMan  *Manifest
	fixtureErr  error
)

const fixtureSeed = 7

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// fixture returns the directory of the default generated tree (Seed 7, Scale 1).
func fixture(t *testing.T) (string, *Manifest) {
	t.Helper()
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "miniclue-test-")
		if fixtureErr != nil {
			return
		}
		fixtureMan, fixtureErr = Generate(fixtureDir, Options{Seed: fixtureSeed})
	})
	if fixtureErr != nil {
		t.Fatalf("generate fixture: %v", fixtureErr)
	}
	return fixtureDir, fixtureMan
}

// readRows decodes a JSON-lines file into generic records, failing on any bad line.
func readRows(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			t.Fatalf("%s line %d: %v", path, n, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func str(t *testing.T, row map[string]any, key string) string {
	t.Helper()
	s, ok := row[key].(string)
	if !ok {
		t.Fatalf("field %q is %T (%v), want string", key, row[key], row[key])
	}
	return s
}

func num(t *testing.T, row map[string]any, key string) int {
	t.Helper()
	n, ok := row[key].(json.Number)
	if !ok {
		t.Fatalf("field %q is %T (%v), want number", key, row[key], row[key])
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("field %q: %v", key, err)
	}
	return int(i)
}

func taskPath(dir, task, file string) string {
	return filepath.Join(dir, task+"_public", file)
}

func fewPath(dir, task, file string) string {
	return filepath.Join(dir, fewDir, task, file)
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }
