//go:build cgo

package builtin

import (
	"context"
	"sync"
	"testing"

	"github.com/clue-bench/clue-bench/miniclue"
)

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
