//go:build faults

package faults

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/scale/fixture"
)

// suite is what every case shares: the bench binary, the tiny matrix and an uninterrupted
// run of it, the reference every other run must match bit for bit.
type suite struct {
	bin    string
	cfg    string // the matrix's config
	plan   string // the same matrix frozen, for run-cell
	ref    map[string]*results.Result
	refDur time.Duration // how long the uninterrupted run took: faults land within it
	preds  map[string][]byte
	devs   map[string][]byte // the reference's per-example dev statistics files
	names  []string          // "task/method/setting sSEED" of each cell, as bench prints it
	fast   []string          // environment that spares each start the re-execution (see newSuite)
	rng    *rand.Rand
}

// The fixture's matrix with more steps per cell (six cells), so that faults land inside
// training as well as around it.
var cellSteps = strings.NewReplacer("max_steps: 6, eval_every: 3", "max_steps: 20, eval_every: 5")

func TestFaults(t *testing.T) {
	s := newSuite(t)
	t.Run("kill", s.kill)
	t.Run("concurrent", s.concurrent)
	t.Run("full-disk", s.fullDisk)
	t.Run("signals", s.signals)
}

func newSuite(t *testing.T) *suite {
	seed := time.Now().UnixNano() % 1_000_000
	if v := os.Getenv("FAULTS_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatalf("FAULTS_SEED=%q: %v", v, err)
		}
	}
	t.Logf("seed %d (FAULTS_SEED=%d replays these moments)", seed, seed)
	s := &suite{rng: rand.New(rand.NewSource(seed)), bin: filepath.Join(t.TempDir(), "bench")}

	if bin := os.Getenv("FAULTS_BENCH"); bin != "" {
		s.bin = bin // another build of bench, e.g. an older one to see what the suite catches
	} else {
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
		if err != nil {
			t.Fatalf("find the module: %v", err)
		}
		build := exec.Command("go", "build", "-o", s.bin, "./cmd/bench")
		build.Dir = strings.TrimSpace(string(root))
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build bench: %v\n%s", err, out)
		}
	}

	dir := t.TempDir()
	p, err := fixture.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.cfg = p.Config
	if err := os.WriteFile(s.cfg, []byte(cellSteps.Replace(fixture.Config)), 0o644); err != nil {
		t.Fatal(err)
	}
	s.plan = filepath.Join(dir, "plan.json")

	// bench re-executes itself at start when OMP_WAIT_POLICY is unset or OpenBLAS fell back
	// to a generic kernel (torchrt.EnsureEnv). The signal case wants that start-up; the
	// others are spared it with the settings the re-executed process gets, so that every run
	// uses the same kernel and the numbers agree.
	s.fast = []string{"OMP_WAIT_POLICY=passive"}
	out, err := s.command(bare(), "version").Output()
	if err != nil {
		t.Fatalf("bench version: %v", err)
	}
	if m := regexp.MustCompile(`OPENBLAS_CORETYPE=(\S+) set`).FindSubmatch(out); m != nil {
		s.fast = append(s.fast, "OPENBLAS_CORETYPE="+string(m[1]))
	}
	t.Logf("start-up settings: %s", strings.Join(s.fast, " "))

	if r := s.run(t, s.fast, "plan", "-c", s.cfg, "--freeze", s.plan); r.code != 0 {
		t.Fatalf("plan --freeze: exit %d\n%s", r.code, r.stderr)
	}
	refDir := filepath.Join(dir, "reference")
	t0 := time.Now()
	if r := s.run(t, s.fast, "run", "-c", s.cfg, "--out", refDir); r.code != 0 {
		t.Fatalf("reference run: exit %d\n%s", r.code, r.stderr)
	}
	s.refDur = time.Since(t0)
	store := &results.Store{Dir: refDir}
	all, err := store.All()
	if err != nil || len(all) != 6 {
		t.Fatalf("reference run: %d results, %v", len(all), err)
	}
	s.ref, s.preds, s.devs = map[string]*results.Result{}, map[string][]byte{}, map[string][]byte{}
	for _, r := range all {
		if r.Status != results.ResultOK {
			t.Fatalf("reference cell %s: %s %s", r.Cell.Key(), r.Status, r.Error)
		}
		s.ref[r.Cell.Key()] = r
		s.names = append(s.names, fmt.Sprintf("%s s%d", r.Cell.Name(), r.Cell.Seed))
		if s.preds[r.Cell.Key()], err = os.ReadFile(filepath.Join(refDir, r.Predictions)); err != nil {
			t.Fatal(err)
		}
		if s.devs[r.Cell.Key()], err = os.ReadFile(filepath.Join(refDir, r.DevStats)); err != nil || r.DevStats == "" {
			t.Fatalf("reference cell %s: dev statistics %q: %v", r.Cell.Key(), r.DevStats, err)
		}
	}
	t.Logf("reference: %d cells in %s", len(all), s.refDur.Round(time.Millisecond))
	return s
}

// bare is the environment without the settings bench re-executes itself for.
func bare() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OMP_WAIT_POLICY=") && !strings.HasPrefix(kv, "OPENBLAS_CORETYPE=") {
			env = append(env, kv)
		}
	}
	return env
}

func (s *suite) command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(bare(), env...)
	return cmd
}

// proc is a running bench whose stderr is collected as it comes.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}
	// set by wait
	code   int            // exit status as a shell reports it (128+N when killed by signal N)
	signal syscall.Signal // the signal that killed it, 0 if it exited
}

func (s *suite) start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: s.command(env, args...), done: make(chan struct{})}
	r, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			p.mu.Lock()
			p.stderr.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return p
}

// printed reports whether the process has written anything on stderr yet.
func (p *proc) printed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.Len() > 0
}

type ended struct {
	code   int
	signal syscall.Signal
	stderr string
}

func (p *proc) wait() ended {
	<-p.done
	err := p.cmd.Wait()
	e := ended{stderr: p.stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		e.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			e.signal = ws.Signal()
			e.code = 128 + int(e.signal)
		}
	default:
		e.code = -1
		e.stderr += "\n" + err.Error()
	}
	return e
}

func (s *suite) run(t *testing.T, env []string, args ...string) ended {
	t.Helper()
	return s.start(t, env, args...).wait()
}

// moment is a random delay within an uninterrupted run's duration.
func (s *suite) moment() time.Duration {
	return time.Duration(s.rng.Int63n(int64(s.refDur) + 1))
}

var startLine = regexp.MustCompile(`(?m)^\[\d+/\d+\] (.+ s\d+): start$`)

// trainings counts the cells each output says it started training.
func trainings(into map[string]int, stderr string) {
	for _, m := range startLine.FindAllStringSubmatch(stderr, -1) {
		into[m[1]]++
	}
}

// fileID tells a result file from a rewritten one: a rewrite is a new file renamed in.
type fileID struct {
	ino  uint64
	size int64
	mod  time.Time
}

// state is what a results directory holds after a fault.
type state struct {
	done  map[string]fileID // key → its result file
	temps []string          // temporary files (a killed writer's, until the next run)
	claim []string          // claim files
}

// check reads a results directory and fails the test if anything in it breaks the promises:
// a result that does not parse, that differs from the reference, that recorded the cell as
// failed, a corrupt result set aside (nothing should have been damaged), predictions that
// differ.
func (s *suite) check(t *testing.T, dir string) state {
	t.Helper()
	st := state{done: map[string]fileID{}}
	entries, err := os.ReadDir(filepath.Join(dir, "cells"))
	if errors.Is(err, os.ErrNotExist) {
		return st
	}
	if err != nil {
		t.Fatal(err)
	}
	store := &results.Store{Dir: dir}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.Contains(name, ".tmp"):
			st.temps = append(st.temps, name)
		case strings.HasSuffix(name, ".claim"):
			st.claim = append(st.claim, name)
		case strings.Contains(name, ".corrupt-"):
			t.Errorf("%s: a result was set aside as corrupt", name)
		case strings.HasSuffix(name, ".dev.json"):
			// A cell's per-example dev statistics: compared through its result (diff).
		case strings.HasSuffix(name, ".json"):
			key, _ := results.KeyOfFile(name)
			r, err := store.Read(key)
			if err != nil || r == nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if d := s.diff(dir, r); d != "" {
				t.Errorf("%s differs from the uninterrupted run: %s", name, d)
			}
			fi, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			st.done[key] = fileID{ino: fi.Sys().(*syscall.Stat_t).Ino, size: fi.Size(), mod: fi.ModTime()}
		}
	}
	preds, _ := filepath.Glob(filepath.Join(dir, "predictions", "*", ".*"))
	st.temps = append(st.temps, preds...)
	return st
}

// diff compares a result with the reference's: everything the run computes (timings and
// provenance aside), and the predictions file byte for byte.
func (s *suite) diff(dir string, r *results.Result) string {
	want, ok := s.ref[r.Cell.Key()]
	switch {
	case !ok:
		return "not a cell of the matrix"
	case r.Status != results.ResultOK:
		return fmt.Sprintf("recorded %s: %s", r.Status, r.Error)
	case r.Cell.ID != want.Cell.ID || r.Steps != want.Steps || !reflect.DeepEqual(r.Best, want.Best) ||
		r.Convergence != want.Convergence || r.Params != want.Params || !reflect.DeepEqual(r.Flags, want.Flags):
		return fmt.Sprintf("steps %d best %v, want steps %d best %v", r.Steps, r.Best, want.Steps, want.Best)
	case len(r.Curve) != len(want.Curve):
		return fmt.Sprintf("curve of %d points, want %d", len(r.Curve), len(want.Curve))
	}
	for i := range r.Curve {
		p, q := r.Curve[i], want.Curve[i]
		p.ElapsedS, q.ElapsedS = 0, 0
		if !reflect.DeepEqual(p, q) {
			return fmt.Sprintf("curve point %d: %+v, want %+v", i, p, q)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, r.Predictions))
	if err != nil {
		return err.Error()
	}
	if !bytes.Equal(b, s.preds[r.Cell.Key()]) {
		return "predictions differ"
	}
	// A full disk may leave a cell without its dev statistics (the result is kept, and its log
	// says so); statistics it names must be the uninterrupted run's, byte for byte.
	if r.DevStats == "" {
		return ""
	}
	if b, err = os.ReadFile(filepath.Join(dir, r.DevStats)); err != nil {
		return fmt.Sprintf("dev statistics: %v", err)
	}
	if !bytes.Equal(b, s.devs[r.Cell.Key()]) {
		return "dev statistics differ"
	}
	return ""
}

// complete checks that a directory holds the whole matrix, and nothing a fault left behind.
func (s *suite) complete(t *testing.T, dir string) state {
	t.Helper()
	st := s.check(t, dir)
	if len(st.done) != len(s.ref) {
		t.Errorf("%s: %d of %d cells recorded", dir, len(st.done), len(s.ref))
	}
	if len(st.temps) > 0 || len(st.claim) > 0 {
		t.Errorf("%s: left behind after a clean run: %v %v", dir, st.temps, st.claim)
	}
	return st
}
