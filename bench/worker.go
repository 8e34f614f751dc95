package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
)

// DefaultCellPoll is how often RunCell looks at a cell held by another worker while it waits.
// Claims are touched every few minutes and go stale after ten, so polling faster would gain
// nothing.
const DefaultCellPoll = 15 * time.Second

// ErrInterrupted is wrapped by RunCell's error when its context ended while it waited for
// another worker or ran the cell.
var ErrInterrupted = errors.New("interrupted")

// CellOutcome is what RunCell did with its cell.
type CellOutcome int

const (
	// CellSkipped: the cell was done already, with the same config; nothing ran.
	CellSkipped CellOutcome = iota + 1
	// CellRecordedFailed: the cell is recorded as failed and RerunFailed was not set;
	// nothing ran.
	CellRecordedFailed
	// CellHeld: a live worker holds the cell and Wait was not set; it is left to that worker.
	CellHeld
	// CellRan: the cell ran here; its result says whether it failed.
	CellRan
)

// CellOptions say which cell RunCell runs and how.
type CellOptions struct {
	Cell plan.Cell
	// Run holds the settings Run gets (Out, Device, Threads, RerunFailed, ...); its Cells
	// is replaced by Cell alone.
	Run RunOptions
	// Wait makes RunCell wait while a live worker holds the cell, and take it over if that
	// worker's claim goes stale or ends without a result, instead of returning CellHeld.
	Wait bool
	// Poll is how often a held cell is looked at while waiting; 0 means DefaultCellPoll.
	Poll time.Duration
	// Resolve, when set, is called once before the cell is first claimed and gives the
	// directory of the cell's backbone (Run.ModelDir, or Run.ModelDirs' entry for a cell
	// that names its backbone) and Run.DataDir: a cell that turns out done or held never
	// pays for building its inputs (the built-in backbone can take minutes).
	Resolve func(ctx context.Context) (modelDir, dataDir string, err error)
	// Waiting, when set, is called once, when RunCell starts waiting for another worker.
	Waiting func()
}

// RunCell runs one cell, idempotently: the unit of work of array jobs and pods, where several
// workers may be handed the same cell and share one results directory. It looks at the cell
// first: a done cell is skipped, a failed one is rerun only with Run.RerunFailed, and one a
// live worker holds is left to it (or, with Wait, waited for). Otherwise it claims and runs
// the cell through Run; when another worker claims it first, RunCell looks again and reports
// what that worker did, giving up after three lost claims.
//
// The result is the earlier one for CellSkipped and CellRecordedFailed, this run's for
// CellRan, nil for CellHeld. A cell that fails while running is CellRan with a failed result,
// not an error. The outcome is 0 when the error is not nil; the error wraps ErrInterrupted
// when ctx ended while waiting or running (nothing is recorded then).
func RunCell(ctx context.Context, o CellOptions) (CellOutcome, *results.Result, error) {
	cell := o.Cell
	ro := o.Run
	ro.Cells = []plan.Cell{cell}
	poll := o.Poll
	if poll <= 0 {
		poll = DefaultCellPoll
	}
	store := &results.Store{Dir: ro.Out}
	if ro.Stderr != nil {
		store.Warnf = warnTo(ro.Stderr)
	}
	resolved, waiting, attempts := false, false, 0
	for {
		// Look before resolving inputs: a done cell must not pay for building the built-in
		// backbone. Run checks again under the claim, which is what makes it safe.
		st, prev := results.CellStatus(store, cell)
		switch {
		case st == results.StatusDone:
			store.DropStale(cell.Key()) // as Run does
			return CellSkipped, prev, nil
		case st == results.StatusFailed && !ro.RerunFailed:
			store.DropStale(cell.Key())
			return CellRecordedFailed, prev, nil
		case st == results.StatusRunning && !o.Wait:
			return CellHeld, nil, nil
		case st == results.StatusRunning:
			if !waiting {
				if o.Waiting != nil {
					o.Waiting()
				}
				waiting = true
			}
			select {
			case <-ctx.Done():
				return 0, nil, fmt.Errorf("%w while waiting", ErrInterrupted)
			case <-time.After(poll):
			}
			continue
		}
		if !resolved && o.Resolve != nil {
			var err error
			var modelDir string
			if modelDir, ro.DataDir, err = o.Resolve(ctx); err != nil {
				return 0, nil, err
			}
			if cell.BackboneName == "" {
				ro.ModelDir = modelDir
			} else {
				ro.ModelDirs = map[string]string{cell.BackboneName: modelDir}
			}
			resolved = true
		}
		if attempts++; attempts > 3 {
			return 0, nil, fmt.Errorf("cell %s: could not claim it in %d attempts; see %s", cell.Key(), attempts-1, filepath.Join(ro.Out, "cells"))
		}
		sum, err := Run(ctx, ro)
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil, fmt.Errorf("%w; no result recorded", ErrInterrupted)
			}
			return 0, nil, err
		}
		if sum.Ran == 0 {
			// Another worker took or finished the cell between our look and the claim: look
			// again and report what it did.
			continue
		}
		r, err := store.Read(cell.Key())
		if err != nil || r == nil {
			return 0, nil, fmt.Errorf("cell %s: ran but its result cannot be read: %v", cell.Key(), err)
		}
		return CellRan, r, nil
	}
}
