package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/internal/torchrt"
)

// RunOptions controls Run.
type RunOptions struct {
	Cells       []plan.Cell // the cells to consider, in order (already filtered and sharded)
	Out         string      // results directory
	ModelDir    string      // resolved backbone directory
	DataDir     string      // resolved data directory
	Device      string      // auto | cpu | cuda | cuda:N
	Threads     int         // libtorch threads; 0 = all logical cores
	Force       bool        // rerun done cells too
	RerunFailed bool        // rerun failed cells (otherwise skipped)
	Limit       int         // cap optimiser steps per cell (smoke runs); 0 = none
	Stderr      io.Writer
	TTY         bool // draw progress bars instead of log lines
}

// Summary counts what Run did.
type Summary struct {
	Ran, Failed, Skipped, Busy int
}

// Run trains every cell that needs it, one after another, on the calling goroutine. A cell
// that fails is recorded as failed and the matrix goes on; a cancelled context stops after
// the current step, leaving finished results and no half-written file.
func Run(ctx context.Context, o RunOptions) (Summary, error) {
	var sum Summary
	// libtorch's grad mode and thread count are per OS thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	torchrt.SetNumThreads(threads)
	info, err := torchrt.Describe(o.Device)
	if err != nil {
		return sum, err
	}
	store, err := results.OpenStore(o.Out)
	if err != nil {
		return sum, err
	}
	git := readGit()
	disp := newDisplay(o.Stderr, o.TTY, len(o.Cells))
	defer disp.finish()
	for i, cell := range o.Cells {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		st, _ := results.CellStatus(store, cell)
		switch {
		case st == results.StatusDone && !o.Force, st == results.StatusFailed && !o.RerunFailed && !o.Force:
			sum.Skipped++
			continue
		case st == results.StatusRunning:
			sum.Busy++
			continue
		}
		won, err := store.Claim(cell.Key())
		if err != nil {
			return sum, err
		}
		if !won {
			sum.Busy++
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
	disp.startCell(i, len(o.Cells), cell.Name()+fmt.Sprintf(" s%d", cell.Seed))
	env := cellEnv{ctx: ctx, modelDir: o.ModelDir, dataDir: o.DataDir, store: store, limit: o.Limit,
		progress: disp, logf: logf, runtime: info, provGit: git, threadsOn: threads}
	res, err := runCell(env, cell)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			logf("interrupted; no result recorded")
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
