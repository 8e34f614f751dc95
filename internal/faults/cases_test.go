//go:build faults

package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// kill: bench run is killed with SIGKILL at random moments, and run again each time. No
// recorded result is ever rewritten (so no cell is recorded twice), every result matches the
// uninterrupted run, and a last clean run completes the matrix and removes what the kills
// left behind.
func (s *suite) kill(t *testing.T) {
	const wanted = 24
	kills, resumes, rounds, finished, dropped := 0, 0, 0, 0, 0
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
		dropped += strings.Count(e.stderr, "removing a stale claim")
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
	dropped += strings.Count(e.stderr, "removing a stale claim")
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
	t.Logf("kill -9: %d kills, %d resumes, %d rounds of %d cells (%d finished between kills), %d trainings started (%d cut short), %d stale claims of recorded cells removed",
		kills, resumes, rounds, len(s.ref), finished, total, total-rounds*len(s.ref), dropped)
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
