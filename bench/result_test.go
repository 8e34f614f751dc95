package bench

import (
	"encoding/json"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

func TestStoreStatusAndClaims(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := Cell{Task: "afqmc", Method: "fl-tuning", Setting: "full", Seed: 1}
	c.computeID()
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
	changed.computeID()
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
	old := time.Now().Add(-2 * claimTTL)
	os.Chtimes(st.path("remote", ".claim"), old, old)
	if ok, _ := st.Claim("remote"); !ok {
		t.Fatal("expired remote claim not taken over")
	}
}

func TestConvergenceOf(t *testing.T) {
	acc := Metric{Name: "accuracy", HigherIsBetter: true}
	curve := []EvalPoint{
		{Step: 10, Dev: map[string]float64{"accuracy": 50}},
		{Step: 20, Dev: map[string]float64{"accuracy": 96}},
		{Step: 30, Dev: map[string]float64{"accuracy": 99.5}},
		{Step: 40, Dev: map[string]float64{"accuracy": 100}},
		{Step: 50, Dev: map[string]float64{"accuracy": 98}},
	}
	got := ConvergenceOf(curve, acc)
	want := Convergence{BestStep: 40, Step95: 20, Step99: 30}
	if got != want {
		t.Fatalf("got %+v want %+v", got, want)
	}
	loss := Metric{Name: "loss"}
	curve = []EvalPoint{{Step: 1, Dev: map[string]float64{"loss": 2}}, {Step: 2, Dev: map[string]float64{"loss": 1.005}}, {Step: 3, Dev: map[string]float64{"loss": 1}}}
	if got := ConvergenceOf(curve, loss); got != (Convergence{BestStep: 3, Step95: 2, Step99: 2}) {
		t.Fatalf("lower-is-better: %+v", got)
	}
}
