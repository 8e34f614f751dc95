//go:build cgo

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/scale/fixture"
)

// TestRunArchitectures runs the tiny matrix (three methods) with the NEZHA and RoFormer
// fixture models as the backbone: every cell trains, evaluates and records a result without error.
func TestRunArchitectures(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny models")
	}
	for _, name := range []string{"nezha", "roformer-project"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p, err := fixture.Write(dir)
			if err != nil {
				t.Fatal(err)
			}
			backbone, err := filepath.Abs(filepath.Join(archModels, name))
			if err != nil {
				t.Fatal(err)
			}
			cfg := strings.NewReplacer("backbone: model", "backbone: "+backbone, "seeds: [1, 2]", "seeds: [1]").Replace(fixture.Config)
			if err := os.WriteFile(p.Config, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runBench(t, "run", "-c", p.Config)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			all, err := filepath.Glob(filepath.Join(dir, "results", "cells", "*.json"))
			var files []string // results, not their dev statistics
			for _, f := range all {
				if _, ok := results.KeyOfFile(filepath.Base(f)); ok {
					files = append(files, f)
				}
			}
			if err != nil || len(files) != 3 {
				t.Fatalf("result files %v (%v), want three\n%s", files, err, stderr)
			}
			for _, f := range files {
				var res cellResult
				if err := json.Unmarshal(readModelFile(t, filepath.Dir(f), filepath.Base(f)), &res); err != nil {
					t.Fatal(err)
				}
				if res.Status != "ok" {
					t.Errorf("%s: status %q (%s), want ok", filepath.Base(f), res.Status, res.Error)
				}
			}
		})
	}
}
