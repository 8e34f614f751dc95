package builtin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/miniclue"
)

// The names of the built-in data and backbone are part of every built-in cell's id, and a
// build without cgo must compute the ones the full binary does. A change here is intended only
// with a new generator version, pre-training procedure or default spec.
func TestIDsPinned(t *testing.T) {
	const (
		data     = "mini-CLUE v4, seed 1"
		backbone = "BERT 3×128, 2500 masked-LM steps, spec a87c8e6e, procedure 3, " + data
	)
	if got := DataID(1); got != data {
		t.Errorf("DataID(1) = %q, want %q", got, data)
	}
	if got := DefaultSpec().ID(); got != backbone {
		t.Errorf("DefaultSpec().ID() = %q, want %q", got, backbone)
	}
}

func TestLockCacheExcludes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", "bert-x")
	unlock, err := lockCache(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open files, so a second open in this process waits like another
	// process would.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := lockCache(ctx, dir); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock while held: %v, want a deadline error", err)
	}
	unlock()
	unlock2, err := lockCache(context.Background(), dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	unlock2()
}

// A corpus rewritten over the same characters (same vocabulary) must get its own backbone.
func TestBackboneDirFollowsCorpus(t *testing.T) {
	data := t.TempDir()
	if _, err := miniclue.Generate(data, miniclue.Options{Seed: 1, Scale: 0.02, Tasks: []string{"tnews"}}); err != nil {
		t.Fatal(err)
	}
	spec := DefaultSpec()
	dir1, vocab1, err := backboneDir("cache", spec, data)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := backboneDir("cache", spec, data)
	if err != nil || again != dir1 {
		t.Fatalf("same inputs: %q, %v; want %q", again, err, dir1)
	}
	path := filepath.Join(data, "MANIFEST.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := miniclue.ReadManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	old := m.File("corpus.txt").SHA256
	edited := strings.Replace(string(raw), old, strings.Repeat("0", len(old)), 1)
	if edited == string(raw) {
		t.Fatal("corpus checksum not found in MANIFEST.json")
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	dir2, vocab2, err := backboneDir("cache", spec, data)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(vocab1, vocab2) {
		t.Fatal("vocabulary changed; the test means to keep it")
	}
	if dir2 == dir1 {
		t.Errorf("another corpus with the same vocabulary maps to the same backbone %s", dir1)
	}
}
