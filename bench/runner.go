package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"strings"
	"time"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/internal/torchrt"
)

// RunOptions controls Run.
type RunOptions struct {
	Cells    []plan.Cell // the cells to consider, in order (already filtered and sharded)
	Out      string      // results directory
	ModelDir string      // resolved backbone directory, for cells that name no backbone
	// ModelDirs are the resolved directories of named backbones, for cells of a config with
	// several (plan.Cell.BackboneName); a cell whose backbone has none here is an error.
	ModelDirs   map[string]string
	DataDir     string // resolved data directory
	Device      string // auto | cpu | cuda | cuda:N
	Threads     int    // libtorch threads; 0 = all logical cores
	Force       bool   // rerun done cells too
	RerunFailed bool   // rerun failed cells (otherwise skipped)
	Limit       int    // cap optimiser steps per cell (smoke runs); 0 = none
	// SaveBackbone keeps a fully tuned backbone (fine-tuning's) with a cell's trained weights;
	// off, its weights file holds the head alone, as the checkpoint-sized copy is large.
	SaveBackbone bool
	Stderr       io.Writer
	TTY          bool // draw progress bars instead of log lines
}

// Summary counts what Run did.
type Summary struct {
	Ran, Failed, Skipped, Busy int
	// Held lists the Busy cells, each with the worker that holds it: they are left to that
	// worker, which records them.
	Held []string
}

// held counts cell as left to the worker that holds it.
func (s *Summary) held(store *results.Store, cell plan.Cell) {
	s.Busy++
	who := store.Holder(cell.Key())
	if who == "" {
		who = "a worker that has finished with it since"
	}
	s.Held = append(s.Held, fmt.Sprintf("%s s%d (%s)", cell.Name(), cell.Seed, who))
}

// testHookBeforeClaim, when set, is called between Run's look at a cell and its claim, where
// another worker can record the cell unseen.
var testHookBeforeClaim func(plan.Cell)

// Run trains every cell that needs it, one after another, on the calling goroutine. A cell
// that fails is recorded as failed and the matrix goes on; a cancelled context stops after
// the current step, leaving finished results and no half-written file. A failure to write
// into the results directory (a full disk) ends the run with an error naming the file: it is
// not the cell's failure, and a rerun with room runs the cell.
//
// A cell is looked at, claimed, and looked at again under the claim: another worker may have
// recorded it in between, and then it is skipped. Temporary files left by killed writers are
// removed first, a recorded cell's stale claim (its worker killed between recording and
// releasing) when the cell is skipped, and a result file that does not parse is set aside
// (kept, renamed) before its cell reruns; all are said on Stderr.
func Run(ctx context.Context, o RunOptions) (Summary, error) {
	var sum Summary
	// A cell whose backbone has no directory is the caller's mistake: say so before any runs.
	for _, c := range o.Cells {
		if _, err := o.modelDir(c); err != nil {
			return sum, err
		}
	}
	// libtorch's grad mode and thread count are per OS thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	threads, info, err := startTorch(o.Threads, o.Device)
	if err != nil {
		return sum, err
	}
	store, err := results.OpenStore(o.Out)
	if err != nil {
		return sum, err
	}
	store.Warnf = warnTo(o.Stderr)
	keys := make([]string, len(o.Cells))
	for i, c := range o.Cells {
		keys[i] = c.Key()
	}
	removed, err := store.CleanTemps(keys)
	if len(removed) > 0 {
		fmt.Fprintf(o.Stderr, "removed %d temporary file(s) of killed writers: %s\n", len(removed), strings.Join(removed, ", "))
	}
	if err != nil {
		store.Warnf("%v", err) // a leftover file in the way of nothing
	}
	git := readGit()
	disp := newDisplay(o.Stderr, o.TTY, len(o.Cells))
	defer disp.finish()
	for i, cell := range o.Cells {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		st, seen := results.CellStatus(store, cell)
		switch {
		case st == results.StatusDone && !o.Force, st == results.StatusFailed && !o.RerunFailed && !o.Force:
			store.DropStale(cell.Key()) // left by a worker killed between its record and its release
			sum.Skipped++
			continue
		case st == results.StatusRunning:
			sum.held(store, cell)
			continue
		}
		if testHookBeforeClaim != nil {
			testHookBeforeClaim(cell)
		}
		won, err := store.Claim(cell.Key())
		if err != nil {
			return sum, err
		}
		if !won {
			sum.held(store, cell)
			continue
		}
		if run, err := recheck(store, cell, seen, o.Stderr); !run || err != nil {
			store.Release(cell.Key())
			if err != nil {
				return sum, err
			}
			sum.Skipped++
			continue
		}
		res, err := runClaimed(ctx, store, cell, o, info, git, threads, disp, i)
		store.Release(cell.Key())
		if err != nil {
			return sum, err
		}
		sum.Ran++
		if res.Status == results.ResultFailed {
			sum.Failed++
		}
	}
	return sum, nil
}

// warnTo is a Store.Warnf that writes what the store repaired as "warning: …" lines to w.
func warnTo(w io.Writer) func(format string, a ...any) {
	return func(format string, a ...any) { fmt.Fprintf(w, "warning: "+format+"\n", a...) }
}

// recheck looks at a claimed cell again and reports whether it still needs to run: not when
// another worker recorded it since the first look, which saw seen. A result that does not
// parse is set aside first.
func recheck(store *results.Store, cell plan.Cell, seen *results.Result, stderr io.Writer) (bool, error) {
	r, err := store.Read(cell.Key())
	var corrupt *results.CorruptError
	switch {
	case errors.As(err, &corrupt):
		aside, err := store.SetAside(cell.Key())
		if err != nil {
			return false, err
		}
		fmt.Fprintf(stderr, "warning: %v; kept as %s, the cell runs again\n", corrupt, aside)
		return true, nil
	case err != nil:
		return false, err
	case r == nil || reflect.DeepEqual(r, seen):
		return true, nil
	case results.StatusOf(cell, r) == results.StatusStale:
		return true, nil // another config's result, as good as none
	}
	fmt.Fprintf(stderr, "%s s%d: recorded by another worker meanwhile; skipped\n", cell.Name(), cell.Seed)
	return false, nil
}

func runClaimed(ctx context.Context, store *results.Store, cell plan.Cell, o RunOptions, info torchrt.Info, git gitInfo, threads int, disp *display, i int) (*results.Result, error) {
	logFile, err := os.Create(store.LogPath(cell.Key()))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	logf := func(format string, a ...any) {
		fmt.Fprintf(logFile, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	// Keep the claim fresh while the cell runs so that other workers see it alive.
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(results.ClaimTTL / 4)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				store.Touch(cell.Key())
			}
		}
	}()
	defer close(stop)
	modelDir, err := o.modelDir(cell) // checked by Run before any cell
	if err != nil {
		return nil, err
	}
	disp.startCell(i, len(o.Cells), cell.Name()+fmt.Sprintf(" s%d", cell.Seed))
	env := cellEnv{ctx: ctx, modelDir: modelDir, dataDir: o.DataDir, store: store, limit: o.Limit,
		progress: disp, logf: logf, runtime: info, provGit: git, threadsOn: threads, saveBackbone: o.SaveBackbone}
	res, err := runCell(env, cell)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			logf("interrupted; no result recorded")
		} else {
			logf("stopped: %v; no result recorded", err)
		}
		return nil, err
	}
	if err := store.Write(res); err != nil {
		return nil, fmt.Errorf("record %s: %w", cell.Name(), err)
	}
	headline := ""
	if m, v, ok := res.Headline(); ok {
		headline = fmt.Sprintf("dev %s %.2f at step %d (%.0fs)", m.Name, v, res.Convergence.BestStep, res.Time.WallS)
	}
	if res.Status == results.ResultFailed {
		headline = res.Error
	}
	disp.endCell(res.Status, headline)
	logf("%s %s", res.Status, headline)
	return res, nil
}

// modelDir is the resolved directory of the cell's backbone.
func (o *RunOptions) modelDir(cell plan.Cell) (string, error) {
	if cell.BackboneName == "" {
		return o.ModelDir, nil
	}
	if d, ok := o.ModelDirs[cell.BackboneName]; ok {
		return d, nil
	}
	return "", fmt.Errorf("cell %s: no directory for backbone %q", cell.Key(), cell.BackboneName)
}

// startTorch sets libtorch's (and OpenBLAS's) thread count for the calling OS thread, which the
// caller has locked, to threads or, when that is 0 or less, one per logical core, and describes
// the device. It returns the thread count in use.
func startTorch(threads int, device string) (int, torchrt.Info, error) {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	torchrt.SetNumThreads(threads)
	info, err := torchrt.Describe(device)
	return threads, info, err
}
