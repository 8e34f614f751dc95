package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/scale"
)

func init() {
	register(&command{
		name: "slurm",
		summary: `freeze the plan into the results directory and write an sbatch job array, one cell per task
Writes OUT/plan.json and OUT/slurm/array.sbatch (task logs: OUT/slurm/<job>_<task>.log) and prints
the script's path; with --submit, runs sbatch and prints the job id instead. The results
directory must be on a file system the compute nodes share. Follow with bench status.`,
		flags: slurmFlags,
	})
}

func slurmFlags(fs *flag.FlagSet) action {
	cfgPath, only := matrixFlags(fs)
	out := fs.String("out", "", "results directory `OUT`, shared with the compute nodes (default: the config's out)")
	job := scale.SlurmJob{Name: "clue-bench"}
	fs.StringVar(&job.Partition, "partition", "", "`PARTITION` (default: the cluster's default)")
	fs.IntVar(&job.GPUsPerTask, "gpus-per-task", 1, "`N` GPUs per task; 0 for a CPU cluster (no gres request, cells on the CPU)")
	fs.IntVar(&job.CPUsPerTask, "cpus-per-task", 0, "`N` CPUs per task, also libtorch's thread count (default: the cluster's)")
	fs.StringVar(&job.Time, "time", "", "time limit per task (one cell), `HH:MM` or D-HH:MM (default: the partition's)")
	fs.IntVar(&job.MaxParallel, "max-parallel", 0, "run at most `N` tasks at once (0 = no limit)")
	fs.StringVar(&job.Name, "job-name", job.Name, "Slurm job `NAME`")
	bin := fs.String("bin", "", "`PATH` of the bench binary as the compute nodes see it (default: this one)")
	submit := fs.Bool("submit", false, "run sbatch and print the job id")
	return func(_ []string, stdout, stderr io.Writer) error {
		if job.Time != "" {
			if _, err := scale.SlurmTime(job.Time); err != nil {
				return usageErrorf("%v", err)
			}
		}
		var err error
		if job.Bench, err = benchBinary(*bin); err != nil {
			return err
		}
		cfg, cells, err := loadPlan(*cfgPath, *only, 0)
		if err != nil {
			return err
		}
		// Freeze first: it resolves the results directory to an absolute path, which the
		// script needs because tasks start in another directory, maybe on another machine.
		f, err := plan.Freeze(cfg, cells, *out)
		if err != nil {
			return fmt.Errorf("%s: %w", cfg.Path, err)
		}
		job.Out, job.Cells = f.Out, len(f.Cells)
		job.Plan = filepath.Join(f.Out, "plan.json")
		script, err := job.Script()
		if err != nil {
			return usageErrorf("%v", err)
		}
		if err := os.MkdirAll(job.LogDir(), 0o755); err != nil {
			return fmt.Errorf("log directory: %w", err)
		}
		if err := writePlan(job.Plan, f, stderr); err != nil {
			return err
		}
		scriptPath := filepath.Join(job.LogDir(), "array.sbatch")
		if err := os.WriteFile(scriptPath, []byte(script), 0o755); err != nil {
			return fmt.Errorf("write the job script: %w", err)
		}
		fmt.Fprintf(stderr, "wrote %s: %d tasks, logs in %s\n", scriptPath, job.Cells, job.LogDir())
		if !*submit {
			fmt.Fprintf(stderr, "submit with: sbatch %s\n", scriptPath)
			fmt.Fprintln(stdout, scriptPath)
			return nil
		}
		id, err := sbatch(scriptPath, stderr)
		if err != nil {
			return err
		}
		// bench status reads the job ids from here to ask squeue about the tasks.
		jobs, err := os.OpenFile(filepath.Join(job.LogDir(), "jobs"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("record the job id: %w", err)
		}
		_, werr := fmt.Fprintln(jobs, id)
		if err := errors.Join(werr, jobs.Close()); err != nil {
			return fmt.Errorf("record the job id in %s: %w", jobs.Name(), err)
		}
		fmt.Fprintf(stderr, "submitted job array %s; follow it with: bench status --results %s\n", id, job.Out)
		fmt.Fprintln(stdout, id)
		return nil
	}
}

// sbatch submits a script and returns the job id.
func sbatch(script string, stderr io.Writer) (string, error) {
	var outb bytes.Buffer
	cmd := exec.Command("sbatch", "--parsable", script)
	cmd.Stdout, cmd.Stderr = &outb, stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("sbatch %s: %w", script, err)
	}
	// --parsable prints "jobid" or "jobid;cluster".
	id, _, _ := strings.Cut(strings.TrimSpace(outb.String()), ";")
	if id == "" {
		return "", fmt.Errorf("sbatch %s: printed no job id", script)
	}
	return id, nil
}

// benchBinary is the binary that tasks run: the given path or this process's own.
func benchBinary(p string) (string, error) {
	if p == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("find the bench binary (pass --bin): %w", err)
		}
		return exe, nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("--bin %q: %w", p, err)
	}
	return abs, nil
}
