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
	names  []string // "task/method/setting sSEED" of each cell, as bench prints it
	fast   []string // environment that spares each start the re-execution (see newSuite)
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
	s.ref, s.preds = map[string]*results.Result{}, map[string][]byte{}
	for _, r := range all {
		if r.Status != results.ResultOK {
			t.Fatalf("reference cell %s: %s %s", r.Cell.Key(), r.Status, r.Error)
		}
		s.ref[r.Cell.Key()] = r
		s.names = append(s.names, fmt.Sprintf("%s s%d", r.Cell.Name(), r.Cell.Seed))
		if s.preds[r.Cell.Key()], err = os.ReadFile(filepath.Join(refDir, r.Predictions)); err != nil {
			t.Fatal(err)
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
		case strings.HasSuffix(name, ".json"):
			key := strings.TrimSuffix(name, ".json")
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

// kill: bench run is killed with SIGKILL at random moments, and run again each time. No
// recorded result is ever rewritten (so no cell is recorded twice), every result matches the
// uninterrupted run, and a last clean run completes the matrix and removes what the kills
// left behind.
func (s *suite) kill(t *testing.T) {
	const wanted = 24
	kills, resumes, rounds, finished := 0, 0, 0, 0
	started := map[string]int{}
	var dir string
	var seen map[string]fileID
	newRound := func() {
		rounds++
		dir = filepath.Join(t.TempDir(), "results")
		seen = map[string]fileID{}
	}
	newRound()
	for kills < wanted {
		p := s.start(t, s.fast, "run", "-c", s.cfg, "--out", dir)
		time.Sleep(s.moment())
		landed := p.cmd.Process.Signal(syscall.SIGKILL) == nil
		e := p.wait()
		trainings(started, e.stderr)
		if landed && e.signal == syscall.SIGKILL {
			kills++
		} else if e.code != 0 {
			t.Fatalf("run ended with %d before the kill:\n%s", e.code, e.stderr)
		}
		st := s.check(t, dir)
		for k, id := range seen {
			if st.done[k] != id {
				t.Fatalf("%s: recorded again after it was done (%+v, then %+v)", k, id, st.done[k])
			}
		}
		seen = st.done
		if e.signal == 0 {
			// It finished before the kill: the round is complete.
			s.complete(t, dir)
			finished++
			newRound()
			continue
		}
		resumes++
	}
	e := s.run(t, s.fast, "run", "-c", s.cfg, "--out", dir)
	trainings(started, e.stderr)
	if e.code != 0 {
		t.Fatalf("last resume: exit %d\n%s", e.code, e.stderr)
	}
	st := s.complete(t, dir)
	for k, id := range seen {
		if st.done[k] != id {
			t.Errorf("%s: recorded again by the last resume", k)
		}
	}
	total := 0
	for _, n := range started {
		total += n
	}
	t.Logf("kill -9: %d kills, %d resumes, %d rounds of %d cells (%d finished between kills), %d trainings started (%d cut short)",
		kills, resumes, rounds, len(s.ref), finished, total, total-rounds*len(s.ref))
}

// concurrent: four workers share one results directory; each cell is trained exactly once
// (counted from the start lines of every worker) and matches the uninterrupted run.
func (s *suite) concurrent(t *testing.T) {
	run := func(dir, shard string) [][]string {
		a := []string{"run", "-c", s.cfg, "--out", dir}
		if shard != "" {
			a = append(a, "--shard", shard)
		}
		return [][]string{a}
	}
	cases := []struct {
		name    string
		workers func(dir string) [][][]string // each worker's commands, run one after another
	}{
		{"bench run", func(dir string) [][][]string {
			return [][][]string{run(dir, ""), run(dir, ""), run(dir, ""), run(dir, "")}
		}},
		{"bench run --shard", func(dir string) [][][]string {
			return [][][]string{run(dir, "1/2"), run(dir, "2/2"), run(dir, "1/2"), run(dir, "2/2")}
		}},
		{"bench run-cell", func(dir string) [][][]string {
			// Each worker goes over every cell, starting at a different one.
			var ws [][][]string
			for w := 0; w < 4; w++ {
				var cmds [][]string
				for i := range len(s.ref) {
					idx := (i + w*len(s.ref)/4) % len(s.ref)
					cmds = append(cmds, []string{"run-cell", "--plan", s.plan, "--index", strconv.Itoa(idx), "--out", dir})
				}
				ws = append(ws, cmds)
			}
			return ws
		}},
	}
	for _, tc := range cases {
		dir := filepath.Join(t.TempDir(), "results")
		started := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		var failures []string
		processes := 0
		for _, cmds := range tc.workers(dir) {
			processes += len(cmds)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, args := range cmds {
					e := s.run(t, s.fast, args...)
					mu.Lock()
					trainings(started, e.stderr)
					if e.code != 0 {
						failures = append(failures, fmt.Sprintf("%v: exit %d:\n%s", args, e.code, e.stderr))
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		for _, f := range failures {
			t.Errorf("%s: a worker failed: %s", tc.name, f)
		}
		s.complete(t, dir)
		total := 0
		for _, name := range s.names {
			if started[name] != 1 {
				t.Errorf("%s: %s trained %d times, want once", tc.name, name, started[name])
			}
			total += started[name]
		}
		t.Logf("%s: 4 workers (%d processes), %d cells, %d trainings", tc.name, processes, len(s.ref), total)
	}
}

// fullDisk: the results root is a small tmpfs, filled so that only a little room is left,
// then a little more each time. Every run that runs out of room fails with an error naming
// the file under the root; nothing half-written is left or counted as done, no claim is left
// behind, and once space is freed a resume completes the matrix.
func (s *suite) fullDisk(t *testing.T) {
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=2m,mode=0755"); err != nil {
		t.Skipf("full-disk case skipped: cannot mount a tmpfs at %s (%v); it needs root (CI runs it as root)", mnt, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	dir := filepath.Join(mnt, "results")
	filler := filepath.Join(mnt, "filler")
	fill := func(leave int64) {
		os.Remove(filler)
		var fs syscall.Statfs_t
		if err := syscall.Statfs(mnt, &fs); err != nil {
			t.Fatal(err)
		}
		free := int64(fs.Bavail) * fs.Bsize
		if err := os.WriteFile(filler, make([]byte, max(0, free-leave)), 0o644); err != nil {
			t.Fatalf("fill %s: %v", mnt, err)
		}
	}
	failed, done := 0, 0
	for leave := int64(0); ; leave += 4096 {
		fill(leave)
		e := s.run(t, s.fast, "run", "-c", s.cfg, "--out", dir)
		st := s.check(t, dir)
		if len(st.temps) > 0 || len(st.claim) > 0 {
			t.Errorf("%d bytes free: a failed run left %v %v", leave, st.temps, st.claim)
		}
		if e.code == 0 {
			done = len(st.done)
			t.Logf("full disk: %d runs failed for want of room, each naming the file; with %d bytes free the run completed", failed, leave)
			break
		}
		failed++
		if e.code != 1 || !strings.Contains(e.stderr, "no space left on device") || !strings.Contains(e.stderr, mnt) {
			t.Fatalf("%d bytes free: exit %d; want 1 with an error naming a file under %s:\n%s", leave, e.code, mnt, e.stderr)
		}
		if leave > 1<<20 {
			t.Fatalf("still failing with %d bytes free:\n%s", leave, e.stderr)
		}
	}
	if done == 0 {
		t.Fatal("no run completed")
	}
	// The last run had just enough room; now the disk is full again for a fresh matrix, and
	// a resume with the space freed completes it.
	dir2 := filepath.Join(mnt, "again")
	fill(0)
	if e := s.run(t, s.fast, "run", "-c", s.cfg, "--out", dir2); e.code != 1 || !strings.Contains(e.stderr, "no space left on device") {
		t.Fatalf("full disk: exit %d\n%s", e.code, e.stderr)
	}
	os.Remove(filler)
	if e := s.run(t, s.fast, "run", "-c", s.cfg, "--out", dir2); e.code != 0 {
		t.Fatalf("resume with room: exit %d\n%s", e.code, e.stderr)
	}
	s.complete(t, dir2)
	s.complete(t, dir)
}

// signals: SIGINT or SIGTERM at random moments, start-up included (every other run starts
// the way a user's does, re-executing bench to set OpenBLAS's kernel), and bench run again
// each time. Each interrupted run stops with a message and status 130 or 143, no recorded
// result is rewritten, and the runs complete the matrix, every result matching the
// uninterrupted run. A signal that lands before bench has printed anything may also end the
// process by the signal itself (the shell's status is the same): the dynamic loader's time,
// before any of bench's code runs.
func (s *suite) signals(t *testing.T) {
	const wanted = 20
	sent, clean, early, resumes, rounds := 0, 0, 0, 0, 1
	dir := filepath.Join(t.TempDir(), "results")
	seen := map[string]fileID{}
	for sent < wanted {
		env := s.fast
		if sent%2 == 1 {
			env = nil
		}
		sig := syscall.SIGINT
		if s.rng.Intn(2) == 1 {
			sig = syscall.SIGTERM
		}
		p := s.start(t, env, "run", "-c", s.cfg, "--out", dir)
		time.Sleep(s.moment())
		printed := p.printed()
		landed := p.cmd.Process.Signal(sig) == nil
		e := p.wait()
		finished := e.code == 0 && e.signal == 0
		switch {
		case finished:
		case !landed:
			t.Fatalf("run ended with %d before the signal:\n%s", e.code, e.stderr)
		case e.signal == sig && !printed:
			early++
		case e.code == 128+int(sig) && e.signal == 0 && strings.Contains(e.stderr, signalName(sig)):
			clean++
		default:
			how := fmt.Sprintf("exit %d", e.code)
			if e.signal != 0 {
				how = "killed by " + e.signal.String()
			}
			t.Fatalf("%s after %s output: %s; want exit %d with a message:\n%s",
				signalName(sig), map[bool]string{true: "some", false: "no"}[printed], how, 128+int(sig), e.stderr)
		}
		st := s.check(t, dir)
		for k, id := range seen {
			if st.done[k] != id {
				t.Fatalf("%s: recorded again after it was done", k)
			}
		}
		seen = st.done
		if finished {
			s.complete(t, dir)
			dir, seen = filepath.Join(t.TempDir(), "results"), map[string]fileID{}
			rounds++
			continue
		}
		sent++
		resumes++
	}
	if e := s.run(t, s.fast, "run", "-c", s.cfg, "--out", dir); e.code != 0 {
		t.Fatalf("last resume: exit %d\n%s", e.code, e.stderr)
	}
	s.complete(t, dir)
	t.Logf("signals: %d sent, %d clean stops with a message, %d before bench's code ran; %d resumes, %d rounds of %d cells completed",
		sent, clean, early, resumes, rounds, len(s.ref))
}

func signalName(sig syscall.Signal) string {
	if sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}
