package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
)

func init() {
	register(&command{
		name: "status",
		summary: `show each cell of a frozen plan as done, failed, running, pending or stale, from the results
The plan defaults to DIR/plan.json (written by bench slurm); without one, only cells with a
result or a claim are listed. When squeue is on the PATH and DIR/slurm/jobs lists submitted
arrays, each cell's Slurm task state is shown too. A result file that does not parse shows as
corrupt: the next run keeps it aside (as KEY.json.corrupt-TIME) and runs the cell again.`,
		flags: statusFlags,
	})
}

type statusRow struct {
	index int // -1 without a plan
	name  string
	seed  int64
	state results.Status
	note  string
}

func statusFlags(fs *flag.FlagSet) action {
	resultsDir := fs.String("results", "", "results `DIR` (default: the plan's out, else results)")
	planPath := fs.String("plan", "", "frozen `PLAN` (default: DIR/plan.json when it exists)")
	return func(_ []string, stdout, stderr io.Writer) error {
		var frozen *plan.Frozen
		if *planPath == "" && *resultsDir == "" {
			*resultsDir = "results"
		}
		if *planPath == "" {
			if p := filepath.Join(*resultsDir, "plan.json"); fileExists(p) {
				*planPath = p
			}
		}
		if *planPath != "" {
			var err error
			if frozen, err = plan.ReadFrozen(*planPath); err != nil {
				return err
			}
			if *resultsDir == "" {
				*resultsDir = frozen.Out
			}
		}
		if _, err := os.Stat(*resultsDir); err != nil && frozen == nil {
			return usageErrorf("--results %s: %v", *resultsDir, err)
		}
		var cells []plan.Cell
		if frozen != nil {
			cells = frozen.Cells
		}
		if err := checkResults(*resultsDir, cells); err != nil {
			return err
		}
		store := &results.Store{Dir: *resultsDir}
		rows, err := statusRows(store, frozen)
		if err != nil {
			return err
		}
		tasks, note := slurmTasks(filepath.Join(*resultsDir, "slurm", "jobs"))
		tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
		fmt.Fprint(tw, "#\tcell\tseed\tstate")
		if tasks != nil {
			fmt.Fprint(tw, "\tslurm")
		}
		fmt.Fprintln(tw, "\tnote")
		var states []results.Status
		for _, r := range rows {
			states = append(states, r.state)
			idx := "-"
			if r.index >= 0 {
				idx = strconv.Itoa(r.index)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s", idx, r.name, r.seed, r.state)
			if tasks != nil {
				st := "-" // finished tasks leave squeue
				if t, ok := tasks[r.index]; ok && r.index >= 0 {
					st = t
				}
				fmt.Fprintf(tw, "\t%s", st)
			}
			fmt.Fprintf(tw, "\t%s\n", r.note)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		what := "cells in " + *planPath
		if frozen == nil {
			what = "cells with a result or claim (no plan: pending cells are not listed)"
		}
		fmt.Fprintf(stdout, "%d %s: %s (results: %s)\n", len(rows), what, results.Counts(states), *resultsDir)
		if note != "" {
			fmt.Fprintln(stdout, note)
		}
		return nil
	}
}

// statusRows lists the plan's cells, or without a plan whatever the results directory holds.
func statusRows(store *results.Store, frozen *plan.Frozen) ([]statusRow, error) {
	var rows []statusRow
	if frozen != nil {
		for i, c := range frozen.Cells {
			st, r := results.CellStatus(store, c)
			rows = append(rows, statusRow{index: i, name: c.Name(), seed: c.Seed, state: st, note: statusNote(store, c.Key(), st, r)})
		}
		return rows, nil
	}
	keys, err := store.Keys()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, key := range keys {
		r, err := store.Read(key)
		var corrupt *results.CorruptError
		switch {
		case errors.As(err, &corrupt):
			seen[key] = true
			st := results.StatusCorrupt
			if store.Claimed(key) {
				st = results.StatusRunning
			}
			rows = append(rows, statusRow{index: -1, name: key, state: st, note: statusNote(store, key, st, nil)})
			continue
		case err != nil:
			return nil, err
		case r == nil:
			continue // removed since the listing
		}
		st := results.StatusDone
		switch {
		case store.Claimed(key):
			st = results.StatusRunning // a rerun (stale or forced) is under way
		case r.Status == results.ResultFailed:
			st = results.StatusFailed
		}
		seen[key] = true
		rows = append(rows, statusRow{index: -1, name: r.Cell.Name(), seed: r.Cell.Seed, state: st, note: statusNote(store, key, st, r)})
	}
	claims, _ := filepath.Glob(filepath.Join(store.Dir, "cells", "*.claim"))
	sort.Strings(claims)
	for _, p := range claims {
		key := strings.TrimSuffix(filepath.Base(p), ".claim")
		if seen[key] {
			continue
		}
		st := results.StatusPending
		if store.Claimed(key) {
			st = results.StatusRunning
		}
		rows = append(rows, statusRow{index: -1, name: key, state: st, note: statusNote(store, key, st, nil)})
	}
	return rows, nil
}

// statusNote says what a state alone does not: why a cell failed, or that a pending cell has
// the claim of a worker that died (the next run-cell takes it over).
func statusNote(store *results.Store, key string, st results.Status, r *results.Result) string {
	switch {
	case st == results.StatusFailed && r != nil:
		msg, _, _ := strings.Cut(r.Error, "\n")
		if len(msg) > 80 {
			msg = msg[:77] + "..."
		}
		return msg
	case st == results.StatusStale:
		return "result from another config; reruns"
	case st == results.StatusCorrupt:
		return "result file does not parse; the next run keeps it as " + key + ".json.corrupt-TIME and reruns"
	case st != results.StatusRunning && fileExists(filepath.Join(store.Dir, "cells", key+".claim")):
		return "claim of a worker that is gone; the next run takes it over"
	}
	return ""
}

// slurmTasks asks squeue for the tasks of the arrays listed in jobsFile (one id a line, the
// latest last): task index → state. nil when there is nothing to ask or no squeue; the note
// says why when that is worth knowing.
func slurmTasks(jobsFile string) (map[int]string, string) {
	b, err := os.ReadFile(jobsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ""
	}
	if err != nil {
		return nil, fmt.Sprintf("slurm: %v", err)
	}
	if _, err := exec.LookPath("squeue"); err != nil {
		return nil, "slurm: squeue is not on the PATH; task states not shown"
	}
	tasks := map[int]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		id := strings.TrimSpace(sc.Text())
		if id == "" {
			continue
		}
		// One squeue per job: squeue fails for a job it no longer knows (finished a while
		// ago), which must not hide the others. -r lists pending array tasks one by one.
		out, err := exec.Command("squeue", "-h", "-r", "-j", id, "-o", "%K %T %i").Output()
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) != 3 {
				continue
			}
			i, err := strconv.Atoi(f[0])
			if err != nil {
				continue
			}
			// A cell can have a task in several arrays (resubmissions): show the one that
			// runs, else the latest.
			if prev, ok := tasks[i]; !ok || !strings.HasPrefix(prev, "RUNNING") {
				tasks[i] = f[1] + " " + f[2]
			}
		}
	}
	return tasks, ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
