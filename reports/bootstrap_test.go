package reports

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/results"
)

// accuracyRows are per-example statistics of accuracy from 0/1 outcomes.
func accuracyRows(right []bool, hash string) *DevRows {
	d := &DevRows{Metric: "accuracy", Hash: hash, N: len(right), cols: 1,
		combine: func(sum []float64, n int) float64 { return 100 * sum[0] / float64(n) }}
	for _, r := range right {
		d.flat = append(d.flat, indicator(r))
	}
	return d
}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// The bootstrap over examples covers a known difference at its stated rate. Each draw scores
// two fixed models on dev sets sampled from one population of examples, where an example is
// right for both (60%), for A only (12%), for B only (6%) or for neither: the true difference
// of accuracies is 6 points, and the models' outcomes are strongly correlated, as those of two
// methods on one backbone are. One dev set of 400 examples, and three folds of 150 (the
// interval of the mean over pairs). The band allows for the draws' binomial spread (sd 0.007);
// a broken bootstrap (different indices for A and B, which ignores the pairing and covers
// about 99.5%, no resampling, a 90% percentile) falls outside it.
func TestBootstrapCoverage(t *testing.T) {
	const trueDiff, draws, reps = 6.0, 1000, 500
	rng := rand.New(rand.NewSource(20261207))
	sample := func(n int) pairRows {
		a, b := make([]bool, n), make([]bool, n)
		for i := range a {
			switch u := rng.Float64(); {
			case u < 0.60:
				a[i], b[i] = true, true
			case u < 0.72:
				a[i] = true
			case u < 0.78:
				b[i] = true
			}
		}
		return pairRows{accuracyRows(a, "x"), accuracyRows(b, "x")}
	}
	for _, tc := range []struct {
		name  string
		pairs int
		n     int
	}{{"one dev set", 1, 400}, {"three folds", 3, 150}} {
		covered, significant := 0, 0
		for d := 0; d < draws; d++ {
			var ps []pairRows
			for p := 0; p < tc.pairs; p++ {
				ps = append(ps, sample(tc.n))
			}
			lo, hi := bootstrapInterval(ps, 1, reps, uint64(d))
			if lo <= trueDiff && trueDiff <= hi {
				covered++
			}
			if lo > 0 {
				significant++
			}
		}
		rate := float64(covered) / draws
		if math.Abs(rate-Confidence) > 0.02 {
			t.Errorf("%s: coverage %.3f, want %.2f ± 0.02", tc.name, rate, Confidence)
		}
		t.Logf("%s: coverage %.3f, difference found in %d of %d draws", tc.name, rate, significant, draws)
		// Pairing leaves the spread of the disagreements (sd ≈ 2.1 points for 400 examples),
		// so a difference of 6 is found in about 85% of draws; an unpaired bootstrap (sd ≈ 3.3)
		// would find it in about 40%.
		if float64(significant)/draws < 0.75 {
			t.Errorf("%s: the difference was found in %d of %d draws", tc.name, significant, draws)
		}
	}
	// The same seed gives the same interval; lower is better turns the sign.
	p := []pairRows{sample(200)}
	lo1, hi1 := bootstrapInterval(p, 1, 500, 7)
	lo2, hi2 := bootstrapInterval(p, 1, 500, 7)
	nlo, nhi := bootstrapInterval(p, -1, 500, 7)
	if lo1 != lo2 || hi1 != hi2 || math.Abs(nlo+hi1) > 1e-9 || math.Abs(nhi+lo1) > 1e-9 {
		t.Errorf("intervals [%g, %g], [%g, %g], sign turned [%g, %g]", lo1, hi1, lo2, hi2, nlo, nhi)
	}
}

func TestQuantile(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5}
	for q, want := range map[float64]float64{0: 1, 0.5: 3, 0.25: 2, 0.1: 1.4, 1: 5} {
		if got := quantile(xs, q); math.Abs(got-want) > 1e-12 {
			t.Errorf("quantile(%g) = %g, want %g", q, got, want)
		}
	}
}

// comparisons.md of the grid matrix with per-example dev statistics and few-shot test
// scores: the selection (unchanged by the test scores) shows them, and the difference has
// both intervals. Without the statistics the report is exactly grid_comparisons.md
// (TestGridReportGolden).
func TestGridReportWithDevStatsGolden(t *testing.T) {
	set := loadStore(t, withDev(gridMatrix(), 100))
	r := New(set, nil)
	plain := New(loadStore(t, gridMatrix()), nil)
	for i, s := range r.Selections {
		if s.Grid != plain.Selections[i].Grid {
			t.Errorf("%s: test scores changed the choice to %s", s.Method, s.Grid)
		}
	}
	var fair bytes.Buffer
	if err := r.WriteFair(&fair); err != nil {
		t.Fatal(err)
	}
	golden(t, "grid_comparisons_dev.md", fair.Bytes())
	ds := PairDiffs(r.Groups, r.Set.Dev)
	if len(ds) != 1 || ds[0].Examples == nil || ds[0].Examples.Pairs != 3 || ds[0].Examples.Examples != 300 {
		t.Fatalf("differences %+v", ds)
	}
	// The same report twice: the same intervals.
	if again := PairDiffs(New(loadStore(t, withDev(gridMatrix(), 100)), nil).Groups, r.Set.Dev); *again[0].Examples != *ds[0].Examples {
		t.Errorf("bootstrap not reproducible: %+v vs %+v", again[0].Examples, ds[0].Examples)
	}
}

// comparisons.md, the claims section and claims.json of the small matrix with per-example dev
// statistics: a difference whose interval over seeds excludes 0 but whose interval over
// examples does not prints "~" (AFQMC, FL-tuning − fine-tuning), and the claims are judged by
// both intervals.
func TestComparisonsWithDevStatsGolden(t *testing.T) {
	ref, err := ParseReference("reference.yaml", []byte(testRef))
	if err != nil {
		t.Fatal(err)
	}
	r := New(loadStore(t, withDev(smallMatrix(), 200)), ref)
	var fair, md, js bytes.Buffer
	if err := r.WriteFair(&fair); err != nil {
		t.Fatal(err)
	}
	golden(t, "comparisons_dev.md", fair.Bytes())
	for _, d := range PairDiffs(r.Groups, r.Set.Dev) {
		if d.Task == "afqmc" && d.A == "fl-tuning" && d.B == "fine-tuning" && d.Regime == RegimeFull {
			if !d.Interval.Significant() || d.Examples == nil || !d.Examples.includesZero() || d.fmtDelta() != "~" {
				t.Errorf("AFQMC FL-tuning − fine-tuning: %+v, examples %+v, Δ %s", d.Interval, d.Examples, d.fmtDelta())
			}
		}
	}
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "it holds when its interval over seeds and, where it has one, its bootstrap interval over dev examples both meet the claimed value ± tolerance, does not hold when every interval it has lies outside it, is inconclusive when they disagree") {
		t.Errorf("tables.md claims header does not state the rule with the bootstrap:\n%s", md.String())
	}
	if err := WriteClaimsJSON(&js, ref.Path, r.Claims); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rule   string
		Claims []ClaimResult
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Rule != claimsRuleBootstrap || got.Claims[0].Bootstrap == nil || got.Claims[0].Bootstrap.Pairs != 3 {
		t.Errorf("claims.json rule %q, first claim %+v", got.Rule, got.Claims[0])
	}
}

// A delta claim holds when every interval it has meets the claimed band, is rejected when every
// one lies outside it, and is inconclusive when they disagree.
func TestJudgeDeltaByBothIntervals(t *testing.T) {
	obs := 4.0
	outside, meets := &ClaimInterval{Lo: 3.6, Hi: 4.4, Pairs: 3}, &ClaimInterval{Lo: 1.0, Hi: 7.0, Pairs: 3}
	for _, tc := range []struct {
		name  string
		seeds *ClaimInterval
		boot  *ClaimInterval
		want  string
	}{
		{"seeds alone, outside", outside, nil, DoesNotHold},
		{"seeds alone, meeting", meets, nil, Holds},
		{"examples meet the band, seeds do not", outside, &ClaimInterval{Lo: 1.5, Hi: 6.5, Pairs: 3}, Inconclusive},
		{"seeds meet the band, examples do not", meets, &ClaimInterval{Lo: 3.5, Hi: 4.5, Pairs: 3}, Inconclusive},
		{"both outside", outside, &ClaimInterval{Lo: 3.5, Hi: 4.5, Pairs: 3}, DoesNotHold},
		{"both meet", meets, &ClaimInterval{Lo: 1.5, Hi: 6.5, Pairs: 3}, Holds},
	} {
		cr := ClaimResult{Observed: &obs, Interval: tc.seeds, Bootstrap: tc.boot}
		judgeDelta(&cr, 2, 0.5)
		if cr.Status != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, cr.Status, tc.want)
		}
	}
	// Without the interval over seeds there is no verdict, whatever the examples say.
	cr := ClaimResult{Observed: &obs, Bootstrap: &ClaimInterval{Lo: 3.5, Hi: 4.5, Pairs: 1}}
	if judgeDelta(&cr, 4, 0.5); cr.Status != TooFewSeeds {
		t.Errorf("one pair: %s", cr.Status)
	}
}

// Statistics for only some runs give no bootstrap and say why; a file that does not recompute
// its result's best dev score is left out with a warning; the rest of the report stands.
func TestDevStatsPartialOrDamaged(t *testing.T) {
	var cs []cell
	for _, c := range smallMatrix() {
		if c.method == "fl-tuning" && c.failed == "" {
			c.dev = 200
		}
		cs = append(cs, c)
	}
	dir := writeStore(t, cs)
	// A file that belongs to another run: one more example right than the result says.
	key := cell{task: "wsc10", method: "fl-tuning", seed: 2}.result().Cell.Key()
	path := filepath.Join(dir, "cells", key+".dev.json")
	st, err := results.ReadDevStats(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range st.Rows {
		if st.Rows[i][0] == 0 {
			st.Rows[i][0] = 1
			break
		}
	}
	if err := results.WriteDevStats(path, st); err != nil {
		t.Fatal(err)
	}
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Dev) != 6 || len(set.DevWarnings) != 1 || !strings.Contains(set.DevWarnings[0], "they recompute accuracy 80.5000, the result's best dev is 80.0000") {
		t.Fatalf("%d statistics loaded, warnings %q", len(set.Dev), set.DevWarnings)
	}
	var buf bytes.Buffer
	if err := New(set, nil).WriteFair(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		noBootstrapPairs,
		"- Warning: no bootstrap over examples: FL-tuning vs Fine-tuning on AFQMC, Full data: no dev statistics for afqmc/fine-tuning/full seed 1, afqmc/fine-tuning/full seed 2, afqmc/fine-tuning/full seed 3.",
		"- Warning: dev statistics of wsc10/fl-tuning/full not used",
		"| +4.17 [+3.45, +4.88]     | +4.17  |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("comparisons.md lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "P-tuning v2 vs Fine-tuning") {
		t.Errorf("a difference without any statistics is warned about:\n%s", out)
	}
}

// The dev statistics a report reads are the files the results name, relative to the
// results directory.
func TestDevStatsFilesNamed(t *testing.T) {
	dir := writeStore(t, withDev(gridMatrix(), 100))
	files, err := filepath.Glob(filepath.Join(dir, "cells", "*.dev.json"))
	if err != nil || len(files) != 12 {
		t.Fatalf("%d dev statistics files, %v", len(files), err)
	}
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Dev) != 11 || len(set.DevWarnings) != 1 || !strings.Contains(set.DevWarnings[0], "no such file") {
		t.Errorf("%d loaded, warnings %q", len(set.Dev), set.DevWarnings)
	}
}

// A pair on two dev sets, or statistics of another metric, give no bootstrap and say why;
// pairs without any statistics say nothing.
func TestExamplesBootstrapReasons(t *testing.T) {
	ra, rb := cell{task: "afqmc", method: "fl-tuning", seed: 1}.result(), cell{task: "afqmc", method: "fine-tuning", seed: 1}.result()
	pairs := []runPair{{a: ra, b: rb, setting: "full"}}
	x, y := accuracyRows([]bool{true, false, true}, "h1"), accuracyRows([]bool{true, true, false}, "h2")
	dev := map[string]*DevRows{ra.Cell.Key(): x, rb.Cell.Key(): y}
	if e, why := examplesBootstrap(pairs, "accuracy", 1, dev); e != nil || why != "different dev sets in afqmc/fl-tuning/full seed 1 and afqmc/fine-tuning/full seed 1" {
		t.Errorf("two dev sets: %+v, %q", e, why)
	}
	y.Hash = "h1"
	if e, why := examplesBootstrap(pairs, "macro_f1", 1, dev); e != nil || why != "the dev statistics are of accuracy, not macro_f1" {
		t.Errorf("another metric: %+v, %q", e, why)
	}
	if e, why := examplesBootstrap(pairs, "accuracy", 1, dev); e == nil || why != "" || e.Pairs != 1 || e.Examples != 3 {
		t.Errorf("one dev set: %+v, %q", e, why)
	}
	if e, why := examplesBootstrap(pairs, "accuracy", 1, nil); e != nil || why != "" {
		t.Errorf("no statistics: %+v, %q", e, why)
	}
}
