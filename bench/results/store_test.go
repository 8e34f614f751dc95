package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/internal/fsfault"
)

func TestStoreStatusAndClaims(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := plan.Cell{Task: "afqmc", Method: "fl-tuning", Setting: "full", Seed: 1}
	c.ID = c.ContentID()
	if s, _ := CellStatus(st, c); s != StatusPending {
		t.Fatalf("fresh cell: %s", s)
	}
	if err := st.Write(&Result{Cell: c, Status: ResultOK}); err != nil {
		t.Fatal(err)
	}
	if s, _ := CellStatus(st, c); s != StatusDone {
		t.Fatalf("written cell: %s", s)
	}
	changed := c
	changed.Hyper.LR = 1
	changed.ID = changed.ContentID()
	if s, _ := CellStatus(st, changed); s != StatusStale {
		t.Fatalf("changed config: %s, want stale", s)
	}
	if err := st.Write(&Result{Cell: c, Status: ResultFailed, Error: "boom"}); err != nil {
		t.Fatal(err)
	}
	if s, r := CellStatus(st, c); s != StatusFailed || r.Error != "boom" {
		t.Fatalf("failed cell: %s %+v", s, r)
	}

	// Many goroutines race for one claim: exactly one wins.
	var wins int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := st.Claim("k")
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d winners for one claim", wins)
	}
	if !st.Claimed("k") {
		t.Fatal("live claim not seen")
	}
	st.Release("k")

	// A claim left by a dead process on this host is taken over.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(claim{Host: host, PID: cmd.Process.Pid, At: time.Now()})
	os.WriteFile(st.path("dead", ".claim"), b, 0o644)
	if st.Claimed("dead") {
		t.Fatal("dead worker's claim counted as live")
	}
	if ok, err := st.Claim("dead"); !ok || err != nil {
		t.Fatalf("stale claim not taken over: %v %v", ok, err)
	}
	// A claim by a live process elsewhere (unknown host) is respected until it expires.
	b, _ = json.Marshal(claim{Host: "other-host", PID: 1, At: time.Now()})
	os.WriteFile(st.path("remote", ".claim"), b, 0o644)
	if ok, _ := st.Claim("remote"); ok {
		t.Fatal("live remote claim taken")
	}
	old := time.Now().Add(-2 * ClaimTTL)
	os.Chtimes(st.path("remote", ".claim"), old, old)
	if ok, _ := st.Claim("remote"); !ok {
		t.Fatal("expired remote claim not taken over")
	}
}

// A claim file that exists but holds nothing readable (a worker killed between creating and
// writing it, by an older version; a damaged file) is stale at once, and taking it over is
// said.
func TestUnreadableClaimIsStale(t *testing.T) {
	for _, content := range []string{"", `{"host": "a`, `{}`} {
		st, err := OpenStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		var warnings []string
		st.Warnf = func(format string, a ...any) { warnings = append(warnings, fmt.Sprintf(format, a...)) }
		if err := os.WriteFile(st.path("k", ".claim"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if st.Claimed("k") {
			t.Errorf("claim %q counted as live", content)
		}
		if ok, err := st.Claim("k"); !ok || err != nil {
			t.Fatalf("claim %q not taken over: %v %v", content, ok, err)
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "cannot be read") || !strings.Contains(warnings[0], st.path("k", ".claim")) {
			t.Errorf("claim %q: warnings %q", content, warnings)
		}
		if h := st.Holder("k"); !strings.Contains(h, fmt.Sprintf("pid %d", os.Getpid())) {
			t.Errorf("holder after the takeover: %q", h)
		}
	}
}

// A claim whose write fails part-way (a full disk) is never seen: the claim file does not
// exist afterwards, nor a temporary file, and the error names the claim.
func TestFailedClaimWriteLeavesNoClaim(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("write fails", func(t *testing.T) {
		fsfault.LimitFileSize(t, 10)
		ok, err := st.Claim("k")
		if ok || err == nil || !strings.Contains(err.Error(), st.path("k", ".claim")) {
			t.Fatalf("Claim = %v, %v; want an error naming the claim", ok, err)
		}
	})
	entries, err := os.ReadDir(filepath.Join(st.Dir, "cells"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("a failed claim left %v", entries)
	}
	if st.Claimed("k") {
		t.Fatal("a failed claim counts as held")
	}
	if ok, err := st.Claim("k"); !ok || err != nil {
		t.Fatalf("claim once the disk has room: %v %v", ok, err)
	}
}

// A worker that moves a claim aside to take it over, and finds it moved a fresh one (another
// worker took the stale one over first), puts it back.
func TestTakeOverPutsBackAFreshClaim(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := st.path("k", ".claim")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	judged := st.inspect(p) // stale: empty
	if !judged.stale {
		t.Fatal("empty claim not stale")
	}
	// Another worker takes it over meanwhile: a new file under the same name.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.Claim("k"); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if st.takeOver(p, judged, "taking over") {
		t.Fatal("took over a fresh claim")
	}
	if !st.Claimed("k") {
		t.Fatal("the fresh claim was not put back")
	}
	if m, _ := filepath.Glob(filepath.Join(st.Dir, "cells", ".*")); len(m) != 0 {
		t.Errorf("left behind: %v", m)
	}
}

// DropStale removes a stale claim (a worker killed after recording its cell, before
// releasing the claim) and leaves live ones: this process's, and another host's until it
// expires.
func TestDropStale(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var warned []string
	st.Warnf = func(format string, a ...any) { warned = append(warned, fmt.Sprintf(format, a...)) }
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	write := func(key string, c claim) {
		b, _ := json.Marshal(c)
		if err := os.WriteFile(st.path(key, ".claim"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("dead", claim{Host: host, PID: cmd.Process.Pid, At: time.Now()})
	write("remote", claim{Host: "other-host", PID: 1, At: time.Now()})
	if ok, err := st.Claim("mine"); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	for _, tc := range []struct {
		key     string
		dropped bool
	}{{"dead", true}, {"remote", false}, {"mine", false}, {"none", false}} {
		if got := st.DropStale(tc.key); got != tc.dropped {
			t.Errorf("%s: DropStale = %v, want %v", tc.key, got, tc.dropped)
		}
		_, err := os.Stat(st.path(tc.key, ".claim"))
		if exists := err == nil; exists != (tc.key != "none" && !tc.dropped) {
			t.Errorf("%s: claim file exists = %v after DropStale", tc.key, exists)
		}
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "removing a stale claim") || !strings.Contains(warned[0], "dead.claim") {
		t.Errorf("warnings %q; want one naming the removed claim", warned)
	}
	old := time.Now().Add(-2 * ClaimTTL)
	os.Chtimes(st.path("remote", ".claim"), old, old)
	if !st.DropStale("remote") {
		t.Error("expired remote claim not removed")
	}
	st.Release("mine")
}

// Release removes this process's claim only: a worker whose claim went stale and was taken
// over must not remove the new holder's.
func TestReleaseLeavesAnotherHoldersClaim(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claim{Host: "other-host", PID: 1, At: time.Now()})
	if err := os.WriteFile(st.path("k", ".claim"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	st.Release("k")
	if !st.Claimed("k") {
		t.Fatal("released another worker's claim")
	}
	if ok, _ := st.Claim("mine"); !ok {
		t.Fatal("claim failed")
	}
	st.Release("mine")
	if st.Claimed("mine") {
		t.Fatal("own claim not released")
	}
}

// A result file that does not parse is reported as corrupt, not as a missing result, and
// can be set aside under a name that says so, keeping its bytes.
func TestCorruptResult(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := plan.Cell{Task: "afqmc", Method: "fl-tuning", Setting: "full", Seed: 1}
	c.ID = c.ContentID()
	p := st.ResultPath(c.Key())
	if err := os.WriteFile(p, []byte(`{"cell": {"task": "afq`), 0o644); err != nil {
		t.Fatal(err)
	}
	var corrupt *CorruptError
	if r, err := st.Read(c.Key()); r != nil || !errors.As(err, &corrupt) || corrupt.Path != p {
		t.Fatalf("Read = %v, %v; want a CorruptError naming %s", r, err, p)
	}
	if s, _ := CellStatus(st, c); s != StatusCorrupt {
		t.Fatalf("status %s; want corrupt", s)
	}
	if _, err := st.All(); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("All: %v; want an error naming %s", err, p)
	}
	var aside []string
	for i := 0; i < 2; i++ {
		if err := os.WriteFile(p, []byte(fmt.Sprintf("damaged %d", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		a, err := st.SetAside(c.Key())
		if err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(a); err != nil || string(b) != fmt.Sprintf("damaged %d", i) || !strings.Contains(a, ".json.corrupt-") {
			t.Fatalf("set aside to %s: %q %v", a, b, err)
		}
		aside = append(aside, a)
	}
	if aside[0] == aside[1] {
		t.Fatalf("both set aside to %s", aside[0])
	}
	if s, _ := CellStatus(st, c); s != StatusPending {
		t.Fatalf("status after setting aside: %s", s)
	}
	if rs, err := st.All(); err != nil || len(rs) != 0 {
		t.Fatalf("All after setting aside: %v %v", rs, err)
	}
}

// Results are written for everyone sharing the directory to read (0644 under umask 022), and
// the temporary files of killed writers are cleaned from cells/ and predictions/.
func TestResultModeAndTempCleaning(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := plan.Cell{Task: "afqmc", Method: "fl-tuning", Setting: "full", Seed: 1}
	if err := st.Write(&Result{Cell: c, Status: ResultOK}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(st.ResultPath(c.Key())); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("result mode: %v %v; want 0644", fi.Mode(), err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	name := fmt.Sprintf(".x.json.tmp-%s-%d-1", host, dead.Process.Pid)
	live := fmt.Sprintf(".y.json.tmp-%s-%d-1", host, os.Getpid())
	pred := filepath.Join(st.PredDir(c.Key()))
	if err := os.MkdirAll(pred, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(st.Dir, "cells", name), filepath.Join(pred, name), filepath.Join(st.Dir, "cells", live)} {
		if err := os.WriteFile(p, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := st.CleanTemps([]string{c.Key(), "no-such-cell"})
	if err != nil || len(removed) != 2 {
		t.Fatalf("CleanTemps = %v, %v; want the two files of the dead writer", removed, err)
	}
	if _, err := os.Stat(filepath.Join(st.Dir, "cells", live)); err != nil {
		t.Fatalf("a live writer's file was removed: %v", err)
	}
}
