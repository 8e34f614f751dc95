package reports

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestCheckClaims(t *testing.T) {
	cs := smallMatrix()
	// A lower-is-better task: FL-tuning's error of 10 beats P-tuning v2's 14 by 4 points.
	for _, c := range []cell{{task: "tnews", method: "fl-tuning", seed: 1, acc: 10}, {task: "tnews", method: "p-tuning-v2", seed: 1, acc: 14}} {
		cs = append(cs, c)
	}
	set := loadStore(t, cs)
	for _, r := range set.OK {
		if r.Cell.Task == "tnews" {
			r.Metrics[0].HigherIsBetter = false
		}
	}
	groups := Aggregate(set.OK)
	mk := func(c Claim) *Reference { c.ID = "c"; return &Reference{Claims: []Claim{c}} }
	fl, pt, ft := "fl-tuning", "p-tuning-v2", "fine-tuning"
	tests := []struct {
		name       string
		claim      Claim
		wantStatus string
		wantObs    float64
		wantDetail string
	}{
		{"delta holds", Claim{Kind: ClaimDelta, Task: "wsc10", Setting: "full", Method: fl, Baseline: pt, Value: 17.93, Tolerance: 1}, Holds, 18, "80.00 ± 2.00 (3) vs P-tuning v2 62.00 ± 2.00 (3)"},
		{"delta does not hold", Claim{Kind: ClaimDelta, Task: "wsc10", Setting: "full", Method: fl, Baseline: ft, Value: 12.9, Tolerance: 1}, DoesNotHold, 8, ""},
		{"delta on a second metric", Claim{Kind: ClaimDelta, Task: "wsc10", Setting: "full", Metric: "macro_f1", Method: fl, Baseline: pt, Value: 18, Tolerance: 0}, Holds, 18, ""},
		// One seed per method: the difference is computed, but there is no interval to judge it by.
		{"delta, lower is better, one seed", Claim{Kind: ClaimDelta, Task: "tnews", Setting: "full", Method: fl, Baseline: pt, Value: 4, Tolerance: 0.1}, TooFewSeeds, 4, "1 paired run(s) (same setting and seed): no confidence interval, so no verdict"},
		// AFQMC, FL-tuning − P-tuning v2 by seed: 4, 4, 4.5; mean 4.17, 95% interval
		// 4.17 ± 4.303·0.289/√3 = [3.45, 4.88]. The point is outside 3 ± 0.6, the interval meets it.
		{"delta holds by its interval", Claim{Kind: ClaimDelta, Task: "afqmc", Setting: "full", Method: fl, Baseline: pt, Value: 3, Tolerance: 0.6}, Holds, 25.0 / 6, "judged by the paired 95% interval [3.45, 4.88] over 3 pairs"},
		{"delta fails by its interval", Claim{Kind: ClaimDelta, Task: "afqmc", Setting: "full", Method: fl, Baseline: pt, Value: 3, Tolerance: 0.4}, DoesNotHold, 25.0 / 6, ""},
		{"delta not run: no cells", Claim{Kind: ClaimDelta, Task: "cluener", Setting: "few", Method: fl, Baseline: pt, Value: 16.142, Tolerance: 5}, NotRun, 0, "no ok cells for FL-tuning and P-tuning v2 on CLUENER, Few-shot"},
		{"delta not run: baseline missing", Claim{Kind: ClaimDelta, Task: "afqmc", Setting: "few", Method: fl, Baseline: ft, Value: 1, Tolerance: 5}, NotRun, 0, "no ok cells for Fine-tuning"},
		// full/AFQMC and full/WSC1.0 1.25×, full/TNEWS and few32/AFQMC 1×.
		{"convergence overall", Claim{Kind: ClaimConvergence, Method: fl, Baseline: pt, Value: 1.12, Tolerance: 0.01}, Holds, math.Sqrt(1.25), "geometric mean of 4"},
		{"convergence overall, few-shot", Claim{Kind: ClaimConvergence, Setting: "few", Method: fl, Baseline: pt, Value: 1.17, Tolerance: 0.1}, DoesNotHold, 1, "geometric mean of 1"},
		{"convergence one task", Claim{Kind: ClaimConvergence, Task: "wsc10", Method: fl, Baseline: pt, Value: 1.17, Tolerance: 0.05}, DoesNotHold, 1.25, ""},
		{"convergence not run", Claim{Kind: ClaimConvergence, Method: fl, Baseline: "lora", Value: 1.17, Tolerance: 0.05}, NotRun, 0, ""},
		{"params", Claim{Kind: ClaimParams, Method: fl, Value: 3, Tolerance: 0.5}, Holds, 2.89, "over 8 cells"},
		{"params does not hold", Claim{Kind: ClaimParams, Method: ft, Value: 3, Tolerance: 0.5}, DoesNotHold, 100, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckClaims(mk(tt.claim), groups, nil)[0]
			if got.Status != tt.wantStatus {
				t.Errorf("status %q, want %q (%s)", got.Status, tt.wantStatus, got.Detail)
			}
			if tt.wantStatus == NotRun {
				if got.Observed != nil {
					t.Errorf("observed %g for a claim not run", *got.Observed)
				}
			} else if got.Observed == nil || math.Abs(*got.Observed-tt.wantObs) > 1e-9 {
				t.Errorf("observed %v, want %g", got.Observed, tt.wantObs)
			}
			if !strings.Contains(got.Detail+" "+strings.Join(got.Warnings, " "), tt.wantDetail) {
				t.Errorf("detail %q, warnings %q: want %q", got.Detail, got.Warnings, tt.wantDetail)
			}
		})
	}
}

func TestClaimsJSON(t *testing.T) {
	r := testReport(t)
	var buf bytes.Buffer
	if err := WriteClaimsJSON(&buf, r.Ref.Path, r.Claims); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Reference string
		Claims    []ClaimResult
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, c := range got.Claims {
		status[c.ID] = c.Status
	}
	want := map[string]string{"wsc10-delta": Holds, "afqmc-delta": DoesNotHold, "cluener-few": NotRun}
	for id, s := range want {
		if status[id] != s {
			t.Errorf("claims.json %s: %q, want %q", id, status[id], s)
		}
	}
	if !strings.Contains(buf.String(), `"observed": null`) {
		t.Error("a claim not run should have a null observed value")
	}
}
