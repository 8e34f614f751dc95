//go:build cgo

package main

import (
	"bufio"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/scale/fixture"
)

// TestPlanEstimates runs the tiny matrix on the CPU, then plans it with estimates: on the
// class it ran on, each cell's time comes from its own measured steps/s; --steps-per-s gives
// steps / (N × 32·128 / (batch × accumulate × max_len)) exactly; a class nothing ran on has no
// estimate and says so.
func TestPlanEstimates(t *testing.T) {
	dir, p := tinyMatrix(t, strings.Replace(fixture.Config, "seeds: [1, 2]", "seeds: [1]", 1))
	if code, _, stderr := runBench(t, "run", "-c", p.Config); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}

	rows := func(args ...string) []planRow {
		t.Helper()
		code, stdout, stderr := runBench(t, append([]string{"plan", "-c", p.Config, "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("plan %v: exit %d\n%s", args, code, stderr)
		}
		var out []planRow
		sc := bufio.NewScanner(strings.NewReader(stdout))
		for sc.Scan() {
			var r planRow
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	for _, r := range rows("--device-class", "cpu") {
		if r.EstimatedS == nil || r.Basis != "measured" || *r.EstimatedS <= 0 {
			t.Errorf("%s on cpu: estimate %v (%s), want a measured one", r.Name, r.EstimatedS, r.Basis)
		}
	}
	for _, r := range rows("--steps-per-s", "2") {
		// The fixture's cells: 6 steps of 16 × 24 tokens.
		want := 6 / (2 * 4096.0 / (16 * 24))
		if r.EstimatedS == nil || math.Abs(*r.EstimatedS-want) > 1e-9 || r.Basis != "--steps-per-s" {
			t.Errorf("%s at 2 steps/s: estimate %v (%s), want %g", r.Name, r.EstimatedS, r.Basis, want)
		}
	}
	for _, r := range rows("--device-class", "h100") {
		if r.EstimatedS != nil {
			t.Errorf("%s on h100, where nothing ran: estimate %g", r.Name, *r.EstimatedS)
		}
	}
	if r := rows(); r[0].EstimatedS != nil || r[0].Basis != "" {
		t.Errorf("plain plan: estimate %v %q", r[0].EstimatedS, r[0].Basis)
	}

	code, stdout, _ := runBench(t, "plan", "-c", p.Config, "--device-class", "cpu")
	if code != 0 || !strings.Contains(stdout, "basis") || !strings.Contains(stdout, "estimated training time on one cpu device at the steps/s measured there") ||
		!strings.Contains(stdout, "device-hours (GPU-hours on one GPU) for 3 cells") {
		t.Errorf("plan --device-class cpu: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runBench(t, "plan", "-c", p.Config, "--device-class", "h100")
	if code != 0 || !strings.Contains(stdout, "3 cells have no estimate") || !strings.Contains(stdout, "no rate measured") {
		t.Errorf("plan --device-class h100: exit %d\n%s", code, stdout)
	}
	for _, args := range [][]string{{"--steps-per-s", "-1"}, {"--rates-from", dir}} {
		if code, _, stderr := runBench(t, append([]string{"plan", "-c", p.Config}, args...)...); code != 2 {
			t.Errorf("plan %v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
}
