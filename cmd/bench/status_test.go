//go:build cgo

package main

import (
	"os"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/results"
)

// A result file that does not parse shows as corrupt, with or without a plan, instead of as
// pending (it would be retrained unseen) or failing the whole listing.
func TestStatusShowsCorruptResults(t *testing.T) {
	planPath, frozen := tinyPlan(t)
	store, err := results.OpenStore(frozen.Out)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Write(&results.Result{Cell: frozen.Cells[0], Status: results.ResultOK}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(store.ResultPath(frozen.Cells[1].Key()), []byte(`{"schema": 1, "ce`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--plan", planPath}, {"--results", frozen.Out}} {
		code, stdout, stderr := runBench(t, append([]string{"status"}, args...)...)
		if code != 0 || !strings.Contains(stdout, "1 done, 1 corrupt") || !strings.Contains(stdout, "does not parse") {
			t.Errorf("status %v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
}
