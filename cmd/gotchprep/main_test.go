package main

import (
	"os"
	"path/filepath"
	"testing"
)

// The copies' directory is absolute, because go.work names it from every checkout, and it
// defaults to the user cache directory, as the Makefile's CLUE_BENCH_GOTCH_DIR does.
func TestCacheRoot(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	if got, err := cacheRoot(""); err != nil || got != filepath.Join(xdg, "clue-bench", "gotch") {
		t.Fatalf("default root %q (err %v), want %s", got, err, filepath.Join(xdg, "clue-bench", "gotch"))
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := cacheRoot("rel/gotch"); err != nil || got != filepath.Join(wd, "rel", "gotch") {
		t.Fatalf("relative root %q (err %v), want it under %s", got, err, wd)
	}
}
