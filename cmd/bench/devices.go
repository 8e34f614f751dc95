package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// parseDevices reads --devices: GPU numbers or cuda:N, comma-separated. "cpu" entries are
// accepted too, unlisted in the help: they let tests and CPU-only machines exercise the
// worker processes.
func parseDevices(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		d := f
		if n, err := strconv.Atoi(f); err == nil && n >= 0 {
			d = "cuda:" + f
		} else if n, ok := strings.CutPrefix(f, "cuda:"); !ok || !isIndex(n) {
			if f != "cpu" {
				return nil, fmt.Errorf("--devices %q: %q is not a GPU number (0, 1, ...) or cuda:N", s, f)
			}
		}
		if seen[d] && d != "cpu" {
			return nil, fmt.Errorf("--devices %q: %s is listed twice", s, d)
		}
		seen[d] = true
		out = append(out, d)
	}
	return out, nil
}

func isIndex(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && strconv.Itoa(n) == s
}

// runOnDevices runs `bench run` once per device, each with --device D --shard k/N and the other
// flags as given, so that the workers split the cells without overlap (the shards are
// disjoint, and claims guard the results directory anyway). The exit status is the worst of
// the workers'.
func runOnDevices(fs *flag.FlagSet, only []string, devices []string, stderr io.Writer) error {
	workers := make([]worker, len(devices))
	for k, dev := range devices {
		workers[k] = worker{label: dev, name: fmt.Sprintf("worker %d on %s", k+1, dev), prefix: fmt.Sprintf("[%d %s] ", k+1, dev),
			args: []string{"--device=" + dev, fmt.Sprintf("--shard=%d/%d", k+1, len(devices))}}
	}
	return runWorkers(fs, only, "--devices", []string{"devices", "device", "shard"}, workers, stderr)
}

// runOnCPUWorkers runs `bench run` n times at once on this machine, each process with
// threads/n libtorch threads and the other flags as given. The workers are not sharded: each
// walks the whole list and takes the next cell no live claim holds, so they stay busy until
// the last cell however long each cell is. Several one-thread processes beat one process of
// several threads when the model's GEMMs are too small to split well across threads (the
// built-in suite: 1.5-1.7x on 2 cores); a large model wants the opposite.
func runOnCPUWorkers(fs *flag.FlagSet, only []string, n, threads int, stderr io.Writer) error {
	per := max(1, threads/n)
	workers := make([]worker, n)
	for k := range workers {
		name := fmt.Sprintf("worker %d", k+1)
		workers[k] = worker{label: name, name: name, prefix: fmt.Sprintf("[%d] ", k+1),
			args: []string{"--workers=1", fmt.Sprintf("--threads=%d", per), "--longest-first"}}
	}
	return runWorkers(fs, only, "--workers", []string{"workers", "threads"}, workers, stderr)
}

// worker is one `bench run` process: its label in the exit summary, its name in the start line,
// the prefix of its output lines and the flags it gets beyond the ones the parent was given.
type worker struct {
	label, name, prefix string
	args                []string
}

// runWorkers starts the workers, prefixes their output lines and waits for all of them. The
// parent's flags are passed on except own, the ones the workers' args set themselves.
func runWorkers(fs *flag.FlagSet, only []string, what string, own []string, workers []worker, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("%s: find this binary to start workers: %w", what, err)
	}
	var common []string
	fs.Visit(func(f *flag.Flag) {
		switch {
		case slices.Contains(own, f.Name):
		case f.Name == "only": // repeatable: its Value prints as one list
			for _, g := range only {
				common = append(common, "--only="+g)
			}
		default:
			common = append(common, "--"+f.Name+"="+f.Value.String())
		}
	})
	// SIGINT reaches the workers from the terminal by itself; SIGTERM (a batch system
	// stopping the job) is sent to this process only and is passed on.
	ctx, stop := interruptContext()
	defer stop()
	var mu sync.Mutex // one line at a time on stderr
	codes := make([]int, len(workers))
	var wg sync.WaitGroup
	for k, wk := range workers {
		args := append(append([]string{"run"}, wk.args...), common...)
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		w := &prefixWriter{mu: &mu, w: stderr, prefix: wk.prefix}
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Start(); err != nil {
			stop()
			wg.Wait()
			return fmt.Errorf("%s: start %s: %w", what, wk.label, err)
		}
		mu.Lock()
		fmt.Fprintf(stderr, "bench run: %s (pid %d): %s\n", wk.name, cmd.Process.Pid, strings.Join(args, " "))
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := cmd.Wait()
			w.flush()
			codes[k] = exitCode(err)
		}()
	}
	wg.Wait()
	worst, summary := 0, make([]string, len(workers))
	for k, c := range codes {
		worst = max(worst, c)
		summary[k] = fmt.Sprintf("%s exit %d", workers[k].label, c)
	}
	fmt.Fprintf(stderr, "bench run: workers done: %s\n", strings.Join(summary, ", "))
	if worst != 0 {
		return &exitError{code: worst}
	}
	return nil
}

// exitCode maps a worker's end to an exit status; a worker killed by a signal counts as the
// shell would report it.
func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	default:
		return 1
	}
}

// prefixWriter writes whole lines, each with a prefix naming the worker.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    bytes.Buffer
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf.Write(b)
	for {
		line, err := p.buf.ReadBytes('\n')
		if err != nil { // no full line yet: keep it for the next write
			p.buf.Reset()
			p.buf.Write(line)
			return len(b), nil
		}
		p.emit(line)
	}
}

// flush writes a last line that had no newline.
func (p *prefixWriter) flush() {
	if p.buf.Len() > 0 {
		p.emit(append(p.buf.Bytes(), '\n'))
		p.buf.Reset()
	}
}

func (p *prefixWriter) emit(line []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w.Write(append([]byte(p.prefix), line...))
}
