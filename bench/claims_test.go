package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/internal/tensortest"
)

// quickRun runs cells with no backbone: a cell that gets as far as running fails at once and
// is recorded as failed, so the tests of what Run decides need no model.
func quickRun(t *testing.T, out string, cells ...plan.Cell) (Summary, string) {
	t.Helper()
	var stderr bytes.Buffer
	sum, err := Run(context.Background(), RunOptions{Cells: cells, Out: out, Device: "cpu", Threads: 1, Stderr: &stderr})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	return sum, stderr.String()
}

// Another worker can record a cell between Run's look at it and its claim (it held the claim
// at the look, or took and released it since). Run looks again under the claim and skips
// the cell instead of training it a second time.
func TestRunLooksAgainUnderTheClaim(t *testing.T) {
	tensortest.Lock(t)
	cell := tinyCells(t, "fl-tuning")[0]
	for _, force := range []bool{false, true} {
		store, err := results.OpenStore(t.TempDir())
		must(t, err)
		testHookBeforeClaim = func(c plan.Cell) {
			must(t, store.Write(&results.Result{Cell: c, Status: results.ResultOK, Error: "the other worker's"}))
		}
		var stderr bytes.Buffer
		sum, err := Run(context.Background(), RunOptions{Cells: []plan.Cell{cell}, Out: store.Dir, Device: "cpu", Threads: 1, Force: force, Stderr: &stderr})
		testHookBeforeClaim = nil
		if err != nil || sum.Ran != 0 || sum.Skipped != 1 {
			t.Fatalf("force %v: Run = %+v, %v; want the cell skipped\n%s", force, sum, err, stderr.String())
		}
		if r, err := store.Read(cell.Key()); err != nil || r == nil || r.Error != "the other worker's" {
			t.Fatalf("force %v: the other worker's result was replaced: %+v %v", force, r, err)
		}
		if !strings.Contains(stderr.String(), "recorded by another worker meanwhile") {
			t.Errorf("force %v: stderr does not say why the cell was skipped:\n%s", force, stderr.String())
		}
		if store.Claimed(cell.Key()) {
			t.Errorf("force %v: the claim was not released", force)
		}
	}
}

// RunCell reports a cell that another worker recorded between its look and its claim as that
// worker's, without running it.
func TestRunCellLooksAgainUnderTheClaim(t *testing.T) {
	tensortest.Lock(t)
	c := newCellCase(t)
	o := c.options(false)
	o.Resolve = func(context.Context) (string, string, error) { return "", "", nil }
	testHookBeforeClaim = func(plan.Cell) { c.write(results.ResultOK, c.cell.ID) }
	defer func() { testHookBeforeClaim = nil }()
	if outcome, r, err := RunCell(context.Background(), o); outcome != CellSkipped || err != nil || r == nil || r.Error != "boom" {
		t.Fatalf("RunCell = %v, %+v, %v; want the other worker's result, skipped", outcome, r, err)
	}
}

// A result file that does not parse is neither taken for a missing result silently nor
// lost: Run says so, keeps the file under a name that says so, and reruns the cell.
func TestRunSetsACorruptResultAside(t *testing.T) {
	tensortest.Lock(t)
	cell := tinyCells(t, "fl-tuning")[0]
	store, err := results.OpenStore(t.TempDir())
	must(t, err)
	p := store.ResultPath(cell.Key())
	must(t, os.WriteFile(p, []byte(`{"schema": 1, "cell": {`), 0o644))
	if st, _ := results.CellStatus(store, cell); st != results.StatusCorrupt {
		t.Fatalf("status %s; want corrupt", st)
	}
	sum, stderr := quickRun(t, store.Dir, cell)
	if sum.Ran != 1 {
		t.Fatalf("summary %+v; want the cell run again", sum)
	}
	aside, _ := filepath.Glob(p + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("set aside: %v", aside)
	}
	if b, err := os.ReadFile(aside[0]); err != nil || string(b) != `{"schema": 1, "cell": {` {
		t.Fatalf("the corrupt file's content was not kept: %q %v", b, err)
	}
	if !strings.Contains(stderr, p) || !strings.Contains(stderr, aside[0]) {
		t.Errorf("stderr does not name the corrupt file and where it went:\n%s", stderr)
	}
	if r, err := store.Read(cell.Key()); err != nil || r == nil {
		t.Fatalf("no new result: %v", err)
	}
}

// Run removes the temporary files of writers that were killed, and says so; a live writer's
// stay.
func TestRunCleansTemporaryFiles(t *testing.T) {
	tensortest.Lock(t)
	cell := tinyCells(t, "fl-tuning")[0]
	store, err := results.OpenStore(t.TempDir())
	must(t, err)
	host, _ := os.Hostname()
	dead := filepath.Join(store.Dir, "cells", "."+cell.Key()+".json.tmp-"+host+"-999999999-1")
	pred := filepath.Join(store.PredDir(cell.Key()), ".afqmc_predict.json.tmp-"+host+"-999999999-2")
	must(t, os.MkdirAll(filepath.Dir(pred), 0o755))
	for _, p := range []string{dead, pred} {
		must(t, os.WriteFile(p, []byte("{"), 0o644))
	}
	_, stderr := quickRun(t, store.Dir, cell)
	for _, p := range []string{dead, pred} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: still there (%v)", p, err)
		}
	}
	if !strings.Contains(stderr, "removed 2 temporary file(s) of killed writers") {
		t.Errorf("stderr does not say what was removed:\n%s", stderr)
	}
}

// A worker killed after recording its cell and before releasing the claim leaves a claim that
// no later worker would take over, since the cell needs no run. Run and RunCell remove it
// when they find the cell recorded (done or failed), and say so; the result stays as it was.
func TestRecordedCellsStaleClaimIsRemoved(t *testing.T) {
	tensortest.Lock(t)
	dead := exec.Command("true")
	must(t, dead.Run())
	host, _ := os.Hostname()
	for _, tc := range []struct {
		name   string
		status string
		run    func(t *testing.T, out string, cell plan.Cell) string
	}{
		{"Run, done", results.ResultOK, func(t *testing.T, out string, cell plan.Cell) string {
			sum, stderr := quickRun(t, out, cell)
			if sum.Ran != 0 || sum.Skipped != 1 {
				t.Errorf("summary %+v; want the cell skipped", sum)
			}
			return stderr
		}},
		{"Run, failed", results.ResultFailed, func(t *testing.T, out string, cell plan.Cell) string {
			sum, stderr := quickRun(t, out, cell)
			if sum.Ran != 0 || sum.Skipped != 1 {
				t.Errorf("summary %+v; want the cell skipped", sum)
			}
			return stderr
		}},
		{"RunCell, done", results.ResultOK, func(t *testing.T, out string, cell plan.Cell) string {
			var stderr bytes.Buffer
			outcome, _, err := RunCell(context.Background(), CellOptions{Cell: cell, Run: RunOptions{Out: out, Device: "cpu", Threads: 1, Stderr: &stderr}})
			if outcome != CellSkipped || err != nil {
				t.Errorf("RunCell = %v, %v; want skipped", outcome, err)
			}
			return stderr.String()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cell := tinyCells(t, "fl-tuning")[0]
			store, err := results.OpenStore(t.TempDir())
			must(t, err)
			must(t, store.Write(&results.Result{Cell: cell, Status: tc.status, Error: "recorded"}))
			claim := filepath.Join(store.Dir, "cells", cell.Key()+".claim")
			must(t, os.WriteFile(claim, []byte(fmt.Sprintf(`{"host": %q, "pid": %d, "at": "2024-01-01T00:00:00Z"}`, host, dead.Process.Pid)), 0o644))
			now := time.Now()
			must(t, os.Chtimes(claim, now, now)) // stale for its dead worker, not for its age
			stderr := tc.run(t, store.Dir, cell)
			if _, err := os.Stat(claim); !os.IsNotExist(err) {
				t.Errorf("the dead worker's claim is still there (%v)", err)
			}
			if !strings.Contains(stderr, "removing a stale claim") {
				t.Errorf("stderr does not say the claim was removed:\n%s", stderr)
			}
			if r, err := store.Read(cell.Key()); err != nil || r == nil || r.Error != "recorded" {
				t.Errorf("the recorded result changed: %+v %v", r, err)
			}
		})
	}
}

// Cells held by another live worker are listed with their holder.
func TestRunListsHeldCells(t *testing.T) {
	tensortest.Lock(t)
	cells := tinyCells(t, "fl-tuning", "fine-tuning")
	store, err := results.OpenStore(t.TempDir())
	must(t, err)
	must(t, os.WriteFile(filepath.Join(store.Dir, "cells", cells[1].Key()+".claim"), []byte(`{"host": "node7", "pid": 42, "at": "2024-01-01T00:00:00Z"}`), 0o644))
	sum, _ := quickRun(t, store.Dir, cells...)
	if sum.Ran != 1 || sum.Busy != 1 || len(sum.Held) != 1 || !strings.Contains(sum.Held[0], cells[1].Name()) || !strings.Contains(sum.Held[0], "pid 42 on node7") {
		t.Fatalf("summary %+v; want %s held by pid 42 on node7", sum, cells[1].Name())
	}
}

// A results directory that cannot take the cell's predictions (a full disk) is not the cell's
// failure: Run stops with an error naming the path and records nothing, so that a rerun with
// room runs the cell.
func TestRunStopsWhenPredictionsCannotBeWritten(t *testing.T) {
	modelDir, dataDir, out := tinyAFQMCRun(t, 3)
	cell := tinyCells(t, "fl-tuning")[0]
	cell.Hyper.Epochs = 1
	cell.ID = cell.ContentID()
	store, err := results.OpenStore(out)
	must(t, err)
	blocker := store.PredDir(cell.Key()) // a file where the directory goes
	must(t, os.WriteFile(blocker, nil, 0o644))
	o := RunOptions{Cells: []plan.Cell{cell}, Out: out, ModelDir: modelDir, DataDir: dataDir, Device: "cpu", Threads: 1, Stderr: &bytes.Buffer{}}
	sum, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), blocker) || sum.Ran != 0 {
		t.Fatalf("Run = %+v, %v; want an error naming %s", sum, err, blocker)
	}
	if r, err := store.Read(cell.Key()); r != nil || err != nil {
		t.Fatalf("recorded %+v, %v; want nothing", r, err)
	}
	if store.Claimed(cell.Key()) {
		t.Fatal("claim not released")
	}
	must(t, os.Remove(blocker))
	if sum, err := Run(context.Background(), o); err != nil || sum.Ran != 1 || sum.Failed != 0 {
		t.Fatalf("rerun with room: %+v, %v", sum, err)
	}
}
