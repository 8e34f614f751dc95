package builtin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/miniclue"
)

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

// Workers of one array job start together and all resolve the built-in inputs: one of them
// pre-trains the backbone, the others wait for it and use its directory.
func TestModelDirConcurrentPretrainsOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("generates mini-CLUE and pre-trains a tiny backbone")
	}
	cache := t.TempDir()
	spec := DefaultSpec()
	spec.Layers, spec.Hidden, spec.Heads, spec.Intermediate, spec.SeqLen, spec.Batch, spec.Steps = 1, 16, 2, 32, 16, 4, 100
	spec.Device, spec.Threads = "cpu", 1
	const n = 3
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		starts int
	)
	dirs, errs := make([]string, n), make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = ModelDir(context.Background(), cache, spec, func(step, total int, loss float64) {
				if step == 1 {
					mu.Lock()
					starts++
					mu.Unlock()
				}
			})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		if dirs[i] != dirs[0] {
			t.Errorf("worker %d got %s, worker 0 %s", i, dirs[i], dirs[0])
		}
	}
	if starts != 1 {
		t.Errorf("%d workers pre-trained the backbone, want 1", starts)
	}
	m, err := miniclue.ReadManifest(DataPath(cache, spec.DataSeed))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(DataPath(cache, spec.DataSeed)); err != nil {
		t.Errorf("data after concurrent generation: %v", err)
	}
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
