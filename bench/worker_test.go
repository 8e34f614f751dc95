package bench

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/internal/tensortest"
)

// errResolved stops RunCell where it would claim and run the cell, so that the tests of its
// decisions need no model.
var errResolved = errors.New("resolved: the cell would run")

// cellCase is a RunCell call over a fresh results directory with one fl-tuning cell; it
// counts the calls of the hooks.
type cellCase struct {
	t        *testing.T
	store    *results.Store
	cell     plan.Cell
	resolves int
	waits    int
}

func newCellCase(t *testing.T) *cellCase {
	store, err := results.OpenStore(t.TempDir())
	must(t, err)
	return &cellCase{t: t, store: store, cell: tinyCells(t, "fl-tuning")[0]}
}

func (c *cellCase) options(wait bool) CellOptions {
	return CellOptions{Cell: c.cell, Wait: wait, Poll: time.Millisecond,
		Run: RunOptions{Out: c.store.Dir, Device: "cpu", Threads: 1, Stderr: io.Discard},
		Resolve: func(context.Context) (string, string, error) {
			c.resolves++
			return "", "", errResolved
		},
		Waiting: func() { c.waits++ },
	}
}

func (c *cellCase) write(status string, id string) {
	cell := c.cell
	cell.ID = id
	must(c.t, c.store.Write(&results.Result{Cell: cell, Status: status, Error: "boom"}))
}

func TestRunCellDecisions(t *testing.T) {
	tests := []struct {
		name        string
		prepare     func(c *cellCase)
		rerunFailed bool
		outcome     CellOutcome
		err         error
		result      bool // the earlier result comes back
	}{
		{"pending runs", func(*cellCase) {}, false, 0, errResolved, false},
		{"done is skipped", func(c *cellCase) { c.write(results.ResultOK, c.cell.ID) }, false, CellSkipped, nil, true},
		{"stale reruns", func(c *cellCase) { c.write(results.ResultOK, "another-config") }, false, 0, errResolved, false},
		{"failed is reported", func(c *cellCase) { c.write(results.ResultFailed, c.cell.ID) }, false, CellRecordedFailed, nil, true},
		{"failed reruns when asked", func(c *cellCase) { c.write(results.ResultFailed, c.cell.ID) }, true, 0, errResolved, false},
		{"held is left alone", func(c *cellCase) {
			if ok, err := c.store.Claim(c.cell.Key()); !ok || err != nil {
				t.Fatalf("claim: %v %v", ok, err)
			}
		}, false, CellHeld, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCellCase(t)
			tc.prepare(c)
			o := c.options(false)
			o.Run.RerunFailed = tc.rerunFailed
			outcome, r, err := RunCell(context.Background(), o)
			if outcome != tc.outcome || !errors.Is(err, tc.err) || (r != nil) != tc.result {
				t.Fatalf("RunCell = %v, %v, %v; want %v, result %v, %v", outcome, r, err, tc.outcome, tc.result, tc.err)
			}
			if r != nil && r.Error != "boom" {
				t.Errorf("result %+v is not the recorded one", r)
			}
			wantResolves := 0
			if tc.err == errResolved {
				wantResolves = 1
			}
			if c.resolves != wantResolves || c.waits != 0 {
				t.Errorf("Resolve called %d times, Waiting %d; want %d and 0", c.resolves, c.waits, wantResolves)
			}
		})
	}
}

func TestRunCellWaits(t *testing.T) {
	c := newCellCase(t)
	if ok, err := c.store.Claim(c.cell.Key()); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond) // many polls
		c.store.Release(c.cell.Key())     // the holder ends without a result: the waiter takes over
	}()
	if outcome, _, err := RunCell(context.Background(), c.options(true)); outcome != 0 || err != errResolved {
		t.Fatalf("RunCell = %v, %v; want it to go on to run the cell", outcome, err)
	}
	if c.waits != 1 || c.resolves != 1 {
		t.Errorf("Waiting called %d times, Resolve %d; want 1 and 1", c.waits, c.resolves)
	}
}

func TestRunCellInterruptedWhileWaiting(t *testing.T) {
	c := newCellCase(t)
	if ok, err := c.store.Claim(c.cell.Key()); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	outcome, _, err := RunCell(ctx, c.options(true))
	if outcome != 0 || !errors.Is(err, ErrInterrupted) || err.Error() != "interrupted while waiting" {
		t.Fatalf("RunCell = %v, %v; want ErrInterrupted", outcome, err)
	}
	if c.waits != 1 || c.resolves != 0 {
		t.Errorf("Waiting called %d times, Resolve %d; want 1 and 0", c.waits, c.resolves)
	}
}

// Another worker can claim or finish the cell between RunCell's look and its claim; RunCell
// then reports what that worker did instead of running the cell. Resolve runs in that gap.
func TestRunCellLosesTheClaim(t *testing.T) {
	tensortest.Lock(t)
	tests := []struct {
		name    string
		other   func(c *cellCase)
		outcome CellOutcome
	}{
		{"held", func(c *cellCase) {
			if ok, err := c.store.Claim(c.cell.Key()); !ok || err != nil {
				t.Fatalf("claim: %v %v", ok, err)
			}
		}, CellHeld},
		{"done", func(c *cellCase) { c.write(results.ResultOK, c.cell.ID) }, CellSkipped},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCellCase(t)
			o := c.options(false)
			o.Resolve = func(context.Context) (string, string, error) {
				c.resolves++
				tc.other(c)
				return "", "", nil
			}
			outcome, _, err := RunCell(context.Background(), o)
			if outcome != tc.outcome || err != nil || c.resolves != 1 {
				t.Fatalf("RunCell = %v, %v after %d resolves; want %v", outcome, err, c.resolves, tc.outcome)
			}
		})
	}
}

func TestRunCellRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model")
	}
	tensortest.Lock(t)
	modelDir, dataDir := t.TempDir(), t.TempDir()
	writeTinyModel(t, modelDir)
	writeTinyAFQMC(t, dataDir, 3)
	c := newCellCase(t)
	c.cell.Hyper.Epochs = 1
	c.cell.ID = c.cell.ContentID()
	o := c.options(false)
	o.Resolve = func(context.Context) (string, string, error) {
		c.resolves++
		return modelDir, dataDir, nil
	}
	outcome, r, err := RunCell(context.Background(), o)
	if outcome != CellRan || err != nil || r == nil || r.Status != results.ResultOK || r.Cell.ID != c.cell.ID {
		t.Fatalf("RunCell = %v, %+v, %v; want an ok result of the cell", outcome, r, err)
	}
	if outcome, _, err := RunCell(context.Background(), o); outcome != CellSkipped || err != nil || c.resolves != 1 {
		t.Fatalf("second RunCell = %v, %v after %d resolves; want it skipped without resolving", outcome, err, c.resolves)
	}
}
