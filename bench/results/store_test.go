package results

import (
	"encoding/json"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/bench/plan"
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
