//go:build cgo

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/bench"
	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/scale/fixture"
)

// tinyPlan writes the scale-out fixture with the given config edits (old, new pairs) and
// freezes it; it returns the plan's path and the plan.
func tinyPlan(t *testing.T, edits ...string) (string, *plan.Frozen) {
	t.Helper()
	dir := t.TempDir()
	p, err := fixture.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(edits) > 0 {
		cfg := strings.NewReplacer(edits...).Replace(fixture.Config)
		if err := os.WriteFile(p.Config, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	planPath := filepath.Join(dir, "plan.json")
	code, stdout, stderr := runBench(t, "plan", "-c", p.Config, "--freeze", planPath)
	if code != 0 || !strings.Contains(stdout, "froze 6 cells to "+planPath) {
		t.Fatalf("plan --freeze: exit %d\n%s%s", code, stdout, stderr)
	}
	frozen, err := plan.ReadFrozen(planPath)
	if err != nil {
		t.Fatal(err)
	}
	return planPath, frozen
}

func TestPlanFreezeMatchesPlan(t *testing.T) {
	planPath, frozen := tinyPlan(t)
	code, stdout, stderr := runBench(t, "plan", "-c", frozen.Config, "--json")
	if code != 0 {
		t.Fatalf("plan --json: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(frozen.Cells) {
		t.Fatalf("plan lists %d cells, the frozen plan %d", len(lines), len(frozen.Cells))
	}
	for i, l := range lines {
		var row planRow
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatal(err)
		}
		if row.Index != i || row.ID != frozen.Cells[i].ID {
			t.Errorf("cell %d: plan says #%d %s, frozen plan %s", i, row.Index, row.ID, frozen.Cells[i].ID)
		}
	}
	if frozen.Out != filepath.Join(filepath.Dir(planPath), "results") || frozen.Device != "cpu" || frozen.Threads != 1 {
		t.Errorf("frozen settings: %+v", frozen)
	}
}

func TestRunCellIdempotent(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny models")
	}
	planPath, frozen := tinyPlan(t)
	store := &results.Store{Dir: frozen.Out}
	cell := func(i int) plan.Cell { return frozen.Cells[i] }
	claimPath := func(i int) string { return filepath.Join(frozen.Out, "cells", cell(i).Key()+".claim") }
	if _, err := results.OpenStore(frozen.Out); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	deadPID := func() int {
		c := exec.Command("true")
		if err := c.Run(); err != nil {
			t.Fatal(err)
		}
		return c.Process.Pid
	}
	tests := []struct {
		name    string
		index   int
		prepare func(t *testing.T)
		code    int
		say     string
		ran     bool // a result exists afterwards
	}{
		{"first run", 0, func(*testing.T) {}, 0, "ran: ok", true},
		{"second run skips", 0, func(*testing.T) {}, 0, "done already; skipped", true},
		{"live claim is left alone", 1, func(t *testing.T) {
			if ok, err := store.Claim(cell(1).Key()); !ok || err != nil {
				t.Fatalf("claim: %v %v", ok, err)
			}
		}, 0, "held by a live worker; not run here", false},
		{"claim of a dead process is taken over", 2, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"host": host, "pid": deadPID(), "at": time.Now().UTC()})
			if err := os.WriteFile(claimPath(2), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, 0, "ran: ok", true},
		{"claim untouched for too long is taken over", 3, func(t *testing.T) {
			// A live process of this host, but silent for longer than the claim's TTL: a
			// worker on another machine that died looks like this.
			if ok, err := store.Claim(cell(3).Key()); !ok || err != nil {
				t.Fatalf("claim: %v %v", ok, err)
			}
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(claimPath(3), old, old); err != nil {
				t.Fatal(err)
			}
		}, 0, "ran: ok", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.prepare(t)
			code, _, stderr := runBench(t, "run-cell", "--plan", planPath, "--index", strconv.Itoa(tc.index))
			if code != tc.code || !strings.Contains(stderr, tc.say) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tc.code, tc.say, stderr)
			}
			r, err := store.Read(cell(tc.index).Key())
			if err != nil {
				t.Fatal(err)
			}
			if (r != nil) != tc.ran {
				t.Fatalf("result recorded: %v, want %v", r != nil, tc.ran)
			}
			if r != nil && (r.Status != results.ResultOK || r.Cell.ID != cell(tc.index).ID) {
				t.Errorf("result %s for cell %s", r.Status, r.Cell.ID)
			}
		})
	}
	// Every other cell is untouched: run-cell runs exactly its own.
	for i := 4; i < len(frozen.Cells); i++ {
		if st, _ := results.CellStatus(store, cell(i)); st != results.StatusPending {
			t.Errorf("cell %d is %s after running others", i, st)
		}
	}
}

func TestRunCellWaitsForHolder(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model")
	}
	planPath, frozen := tinyPlan(t)
	store, err := results.OpenStore(frozen.Out)
	if err != nil {
		t.Fatal(err)
	}
	key := frozen.Cells[0].Key()
	if ok, err := store.Claim(key); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	defer func(p time.Duration) { waitPoll = p }(waitPoll)
	waitPoll = 20 * time.Millisecond
	go func() {
		time.Sleep(200 * time.Millisecond)
		store.Release(key) // the holder ends without a result: the waiter takes over
	}()
	code, _, stderr := runBench(t, "run-cell", "--plan", planPath, "--index", "0", "--wait")
	if code != 0 || !strings.Contains(stderr, "waiting for it to finish") || !strings.Contains(stderr, "ran: ok") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
}

func TestRunCellFailedCell(t *testing.T) {
	if testing.Short() {
		t.Skip("sets up tiny models")
	}
	// max_len beyond the fixture model's 64 positions: every cell fails at set-up.
	planPath, _ := tinyPlan(t, "max_len: 24", "max_len: 1000")
	steps := []struct {
		args []string
		say  string
	}{
		{nil, "failed: max_len 1000"},
		{nil, "recorded as failed"},
		{[]string{"--rerun-failed"}, "failed: max_len 1000"},
	}
	for _, s := range steps {
		args := append([]string{"run-cell", "--plan", planPath, "--index", "5"}, s.args...)
		code, _, stderr := runBench(t, args...)
		if code != 1 || !strings.Contains(stderr, s.say) {
			t.Fatalf("%v: exit %d, want 1 with %q:\n%s", s.args, code, s.say, stderr)
		}
	}
}

func TestRunCellBadInput(t *testing.T) {
	planPath, _ := tinyPlan(t)
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"schema": 1, "cells": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no plan", []string{"--index", "0"}, 2, "--plan is required"},
		{"no index", []string{"--plan", planPath}, 2, "--index is required"},
		{"index too large", []string{"--plan", planPath, "--index", "6"}, 2, "has 6 cells (0 to 5)"},
		{"missing plan", []string{"--plan", planPath + ".nope", "--index", "0"}, 1, "plan.json.nope"},
		{"bad plan", []string{"--plan", bad, "--index", "0"}, 1, "bad.json: field backbone is empty"},
		{"extra argument", []string{"--plan", planPath, "--index", "0", "x"}, 2, `unexpected argument "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runBench(t, append([]string{"run-cell"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tc.code, tc.want, stderr)
			}
		})
	}
}

// TestRunCellSaveBackbone checks that run-cell passes --save-backbone on: a fine-tuning cell
// keeps its tuned backbone, as bench run's flag does.
func TestRunCellSaveBackbone(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model")
	}
	planPath, frozen := tinyPlan(t)
	idx := -1
	for i, c := range frozen.Cells {
		if c.Method == "fine-tuning" {
			idx = i
			break
		}
	}
	if idx < 0 {
		t.Fatal("the tiny plan has no fine-tuning cell")
	}
	for _, save := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "results")
		args := []string{"run-cell", "--plan", planPath, "--index", strconv.Itoa(idx), "--out", out}
		want := bench.ContentsHeadOnly
		if save {
			args, want = append(args, "--save-backbone"), bench.ContentsBackboneHead
		}
		if code, _, stderr := runBench(t, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
		meta, _, err := bench.ReadWeightsMeta(filepath.Join(out, "cells", frozen.Cells[idx].Key()+".safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		if got := meta[bench.MetaContents]; got != want {
			t.Errorf("--save-backbone %v: weights hold %q, want %q", save, got, want)
		}
	}
}
