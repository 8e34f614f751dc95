//go:build cgo

package main

import (
	"os"
	"testing"

	"github.com/clue-bench/clue-bench/scale/fixture"
)

// tinyMatrix writes the scale fixture (tiny model, data, config) into a fresh directory and
// returns the directory and its paths; config, when not empty, replaces the fixture's config.
// It skips in -short mode: the tests that use it train.
func tinyMatrix(t *testing.T, config string) (string, fixture.Paths) {
	t.Helper()
	if testing.Short() {
		t.Skip("trains tiny models")
	}
	dir := t.TempDir()
	p, err := fixture.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if config != "" {
		if err := os.WriteFile(p.Config, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, p
}
