package scale

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// SlurmJob is a job array with one task per cell of a frozen plan.
type SlurmJob struct {
	Name        string // --job-name
	Bench       string // the bench binary as the compute nodes see it (absolute)
	Plan        string // the frozen plan (absolute)
	Out         string // the results directory (absolute); task logs go to Out/slurm
	Cells       int    // cells in the plan: the array is 0..Cells-1
	MaxParallel int    // at most this many tasks at once; 0 = as many as the cluster allows
	Partition   string // empty = the cluster's default partition
	GPUsPerTask int    // 0 = CPU only: no gres request and run-cell on the CPU
	CPUsPerTask int    // 0 = the cluster's default; otherwise also the libtorch thread count
	Time        string // per-task limit as HH:MM, HH:MM:SS, D-HH:MM or D-HH:MM:SS; empty = the partition's
}

// LogDir is where the tasks' logs go; it must exist before the job starts, because Slurm
// does not create it and silently drops the output otherwise.
func (j SlurmJob) LogDir() string { return filepath.Join(j.Out, "slurm") }

var slurmTime = regexp.MustCompile(`^(?:(\d+)-)?(\d{1,3}):(\d{2})(?::(\d{2}))?$`)

// SlurmTime turns a limit written as HH:MM (what people mean) into Slurm's syntax, in which
// a bare "04:00" would be four minutes (MM:SS).
func SlurmTime(s string) (string, error) {
	m := slurmTime.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("--time %q: want HH:MM, HH:MM:SS, D-HH:MM or D-HH:MM:SS", s)
	}
	mins, _ := strconv.Atoi(m[3])
	secs := 0
	if m[4] != "" {
		secs, _ = strconv.Atoi(m[4])
	}
	if mins > 59 || secs > 59 {
		return "", fmt.Errorf("--time %q: minutes and seconds must be below 60", s)
	}
	out := fmt.Sprintf("%s:%02d:%02d", m[2], mins, secs)
	if m[1] != "" {
		out = m[1] + "-" + out
	}
	return out, nil
}

// Script renders the sbatch script.
func (j SlurmJob) Script() (string, error) {
	if err := j.check(); err != nil {
		return "", err
	}
	array := fmt.Sprintf("0-%d", j.Cells-1)
	if j.MaxParallel > 0 {
		array += "%" + strconv.Itoa(j.MaxParallel)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n")
	fmt.Fprintf(&b, "# Written by `bench slurm`: task i of this array runs cell i of the frozen plan\n#   %s\n", j.Plan)
	fmt.Fprintf(&b, "# Submitting it again is safe: done cells are skipped and a cell held by a live task is left\n")
	fmt.Fprintf(&b, "# to it. Progress: bench status --results %s\n", j.Out)
	sb := func(format string, a ...any) { fmt.Fprintf(&b, "#SBATCH "+format+"\n", a...) }
	sb("--job-name=%s", j.Name)
	sb("--array=%s", array)
	sb("--ntasks=1")
	sb("--output=%s", filepath.Join(j.LogDir(), "%A_%a.log"))
	sb("--chdir=%s", j.Out)
	if j.Partition != "" {
		sb("--partition=%s", j.Partition)
	}
	if j.GPUsPerTask > 0 {
		sb("--gres=gpu:%d", j.GPUsPerTask)
	}
	if j.CPUsPerTask > 0 {
		sb("--cpus-per-task=%d", j.CPUsPerTask)
	}
	if j.Time != "" {
		t, err := SlurmTime(j.Time)
		if err != nil {
			return "", err
		}
		sb("--time=%s", t)
	}
	b.WriteString("set -euo pipefail\n")
	// Slurm sets CUDA_VISIBLE_DEVICES to the task's GPUs, so the first visible one is ours.
	device := "cpu"
	if j.GPUsPerTask > 0 {
		device = "cuda"
	}
	args := []string{shellQuote(j.Bench), "run-cell", "--plan", shellQuote(j.Plan), "--index", `"$SLURM_ARRAY_TASK_ID"`,
		"--out", shellQuote(j.Out), "--device", device}
	if j.CPUsPerTask > 0 {
		// Without this libtorch would start one thread per core of the whole node.
		args = append(args, "--threads", strconv.Itoa(j.CPUsPerTask))
	}
	// --wait: a requeued task may find its own earlier attempt's claim, which from another
	// node looks alive until it goes stale; waiting lets it take the cell over then.
	args = append(args, "--wait")
	fmt.Fprintf(&b, "exec %s\n", strings.Join(args, " "))
	return b.String(), nil
}

func (j SlurmJob) check() error {
	var errs []error
	if j.Cells < 1 {
		errs = append(errs, errors.New("the plan has no cells"))
	}
	if j.MaxParallel < 0 {
		errs = append(errs, fmt.Errorf("--max-parallel %d: must not be negative", j.MaxParallel))
	}
	if j.GPUsPerTask < 0 {
		errs = append(errs, fmt.Errorf("--gpus-per-task %d: must not be negative", j.GPUsPerTask))
	}
	if j.CPUsPerTask < 0 {
		errs = append(errs, fmt.Errorf("--cpus-per-task %d: must not be negative", j.CPUsPerTask))
	}
	if j.Name == "" || strings.ContainsAny(j.Name, " \t\n") {
		errs = append(errs, fmt.Errorf("job name %q: want a non-empty name without spaces", j.Name))
	}
	if j.Partition != "" && strings.ContainsAny(j.Partition, " \t\n") {
		errs = append(errs, fmt.Errorf("--partition %q: contains spaces", j.Partition))
	}
	// #SBATCH lines are not parsed by a shell, so their values cannot be quoted.
	for _, p := range []struct{ name, path string }{{"bench binary", j.Bench}, {"plan", j.Plan}, {"results directory", j.Out}} {
		switch {
		case !filepath.IsAbs(p.path):
			errs = append(errs, fmt.Errorf("%s %q: must be an absolute path (tasks start elsewhere)", p.name, p.path))
		case strings.ContainsAny(p.path, " \t\n%"):
			errs = append(errs, fmt.Errorf("%s %q: Slurm directives cannot hold spaces or %%", p.name, p.path))
		}
	}
	return errors.Join(errs...)
}

// shellQuote quotes s for bash when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
