//go:build cgo

package builtin

import (
	"context"
	"sync"
	"testing"

	"github.com/clue-bench/clue-bench/miniclue"
	"github.com/clue-bench/clue-bench/model"
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

// An empty cache gets the shipped copy of the default backbone (no pre-training), the next
// call finds it cached, and Rebuild is what bench pretrain --rebuild asks for: it pre-trains
// (checked here with a tiny spec, whose key no shipped copy has).
func TestBackboneSources(t *testing.T) {
	if testing.Short() {
		t.Skip("generates mini-CLUE")
	}
	cache := t.TempDir()
	spec := DefaultSpec()
	spec.Device, spec.Threads = "cpu", 1
	pretrained := false
	progress := func(step, total int, loss float64) { pretrained = true }
	dir, src, err := Backbone(context.Background(), cache, spec, Options{Progress: progress})
	if err != nil || src != Shipped || pretrained {
		t.Fatalf("empty cache: dir %s, source %v, pre-trained %v, err %v; want the shipped copy", dir, src, pretrained, err)
	}
	if _, err := model.OpenDir(dir); err != nil {
		t.Fatalf("installed shipped backbone does not open: %v", err)
	}
	if _, src, err := Backbone(context.Background(), cache, spec, Options{Progress: progress}); err != nil || src != Cached {
		t.Errorf("second call: source %v, err %v; want cached", src, err)
	}
	tiny := spec
	tiny.Layers, tiny.Hidden, tiny.Heads, tiny.Intermediate, tiny.SeqLen, tiny.Batch, tiny.Steps = 1, 16, 2, 32, 16, 4, 3
	if _, src, err := Backbone(context.Background(), cache, tiny, Options{Progress: progress}); err != nil || src != Pretrained || !pretrained {
		t.Errorf("spec with no shipped copy: source %v, pre-trained %v, err %v; want pre-trained", src, pretrained, err)
	}
	pretrained = false
	if _, src, err := Backbone(context.Background(), cache, tiny, Options{Progress: progress, Rebuild: true}); err != nil || src != Pretrained || !pretrained {
		t.Errorf("rebuild: source %v, pre-trained %v, err %v; want pre-trained again", src, pretrained, err)
	}
}
