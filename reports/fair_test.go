package reports

import (
	"bytes"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// gridMatrix: TNEWS few-shot, fine-tuning over lr [1e-4, 1e-3] and FL-tuning over lr [1e-3,
// 1e-2], three seeds each, and one failed FL-tuning cell. FL-tuning's best point is lr=0.01,
// fine-tuning's lr=0.001.
func gridMatrix() []cell {
	var cs []cell
	acc := map[string]map[string][3]float64{
		"fine-tuning": {"lr=0.0001": {50, 52, 54}, "lr=0.001": {60, 61, 62}},
		"fl-tuning":   {"lr=0.001": {55, 56, 57}, "lr=0.01": {63, 65, 64}},
	}
	for _, m := range []string{"fine-tuning", "fl-tuning"} {
		for _, g := range []string{"lr=0.0001", "lr=0.001", "lr=0.01"} {
			a, ok := acc[m][g]
			if !ok {
				continue
			}
			for i, seed := range []int64{1, 2, 3} {
				cs = append(cs, cell{task: "tnews", method: m, setting: "few", split: "few:0", seed: seed, grid: g, acc: a[i], wall: 10 * float64(i+1)})
			}
		}
	}
	cs = append(cs, cell{task: "tnews", method: "fl-tuning", setting: "few", split: "few:0", seed: 4, grid: "lr=0.001", failed: "train: diverged"})
	return cs
}

// The report of a grid picks each method's best dev point, names the chosen values in the
// tables and lists every point, the paired differences and the compute.
func TestGridReportGolden(t *testing.T) {
	set := loadStore(t, gridMatrix())
	r := New(set, nil)
	if len(r.Selections) != 2 {
		t.Fatalf("%d selections", len(r.Selections))
	}
	for _, s := range r.Selections {
		want := map[string]string{"fine-tuning": "lr=0.001", "fl-tuning": "lr=0.01"}[s.Method]
		if s.Grid != want {
			t.Errorf("%s: chose %q, want %q", s.Method, s.Grid, want)
		}
	}
	for _, g := range r.Groups {
		if len(g.Cells) != 3 {
			t.Errorf("%s: %d cells at the chosen point", g.Key, len(g.Cells))
		}
	}
	var md, fair bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFair(&fair); err != nil {
		t.Fatal(err)
	}
	golden(t, "grid_tables.md", md.Bytes())
	var csvOut bytes.Buffer
	if err := r.WriteCSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csvOut.String()), "\n")
	if len(lines) != 1+12*2 || !strings.HasSuffix(lines[0], ",flags,grid,chosen") ||
		!strings.HasSuffix(lines[1], ",lr=0.0001,false") || !strings.Contains(csvOut.String(), ",lr=0.01,true") {
		t.Errorf("results.csv:\n%s", csvOut.String())
	}
	golden(t, "grid_comparisons.md", fair.Bytes())
	dir := os.Getenv("CLUE_BENCH_KEEP_REPORT") // to look at the plots
	if dir == "" {
		dir = t.TempDir()
	}
	files, err := r.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(files, " ")
	for _, want := range []string{FileFair, "plots/sensitivity_few_tnews_lr.png", "plots/sensitivity_few_tnews_lr.svg"} {
		if !strings.Contains(joined, want) {
			t.Errorf("files %v lack %s", files, want)
		}
	}
	idx, err := os.ReadFile(filepath.Join(dir, FileIndex))
	if err != nil {
		t.Fatal(err)
	}
	// The sensitivity plot is listed under its own heading, after the convergence plots.
	conv, sens := strings.Index(string(idx), "- Convergence plots"), strings.Index(string(idx), "- Sensitivity plots")
	entry := strings.Index(string(idx), "  - sensitivity_few_tnews_lr: [png](plots/sensitivity_few_tnews_lr.png)")
	if conv < 0 || sens < conv || entry < sens || !strings.Contains(string(idx), "[comparisons.md](comparisons.md)") {
		t.Errorf("index.md:\n%s", idx)
	}
}

// Selection reads dev scores only, and only points with the most seeds compete.
func TestSelectRules(t *testing.T) {
	cs := []cell{
		// lr=1 has the best mean but one seed fewer than lr=2: it does not compete.
		{task: "tnews", method: "fl-tuning", seed: 1, grid: "lr=1", acc: 90},
		{task: "tnews", method: "fl-tuning", seed: 1, grid: "lr=2", acc: 70},
		{task: "tnews", method: "fl-tuning", seed: 2, grid: "lr=2", acc: 72},
		{task: "tnews", method: "fl-tuning", seed: 1, grid: "lr=10", acc: 71},
		{task: "tnews", method: "fl-tuning", seed: 2, grid: "lr=10", acc: 71},
	}
	set := loadStore(t, cs)
	for _, r := range set.OK { // a labelled test score that would pick lr=10, were it read
		r.Data.Test = 100
		r.Test = map[string]float64{"accuracy": 50}
		if r.Cell.Grid == "lr=10" {
			r.Test["accuracy"] = 99
		}
	}
	kept, sels := Select(set.OK)
	if len(sels) != 1 || sels[0].Grid != "lr=2" || len(kept) != 2 {
		t.Fatalf("selected %+v, kept %d", sels[0], len(kept))
	}
	// The test score is summarised beside each point's dev score, after the choice.
	if p := sels[0].Points[2]; p.Grid != "lr=10" || p.Test.N != 2 || p.Test.Mean != 99 {
		t.Errorf("lr=10: test %+v", p.Test)
	}
	var order []string
	for _, p := range sels[0].Points {
		order = append(order, p.Grid)
	}
	if strings.Join(order, " ") != "lr=1 lr=2 lr=10" {
		t.Errorf("points in order %v, want numeric order", order)
	}
	// No grid: the results come back as they are.
	plain := loadStore(t, smallMatrix())
	if kept, sels := Select(plain.OK); sels != nil || len(kept) != len(plain.OK) {
		t.Errorf("no grid: %d selections, %d of %d kept", len(sels), len(kept), len(plain.OK))
	}
}

// The paired interval covers a known difference at its stated rate: simulated pairs of methods
// whose runs share a seed effect, with normal noise and a true difference of 1.5 points. The
// seeded draws make the test deterministic; the band allows for the 4000 draws' binomial
// spread (sd 0.34 points) with room to spare, and a broken interval (unpaired spread, z
// instead of t, no √n) falls outside it.
func TestPairedIntervalCoverage(t *testing.T) {
	const trueDiff, draws = 1.5, 4000
	rng := rand.New(rand.NewSource(20261206))
	for _, n := range []int{3, 5, 10} {
		covered, significant := 0, 0
		for i := 0; i < draws; i++ {
			a, b := make([]float64, n), make([]float64, n)
			for s := 0; s < n; s++ {
				seed := 5 * rng.NormFloat64() // shared by both methods of a seed
				a[s] = 70 + trueDiff + seed + rng.NormFloat64()
				b[s] = 70 + seed + rng.NormFloat64()
			}
			iv := PairedInterval(a, b, 1)
			if iv.Lo <= trueDiff && trueDiff <= iv.Hi {
				covered++
			}
			if iv.Significant() {
				significant++
			}
		}
		rate := float64(covered) / draws
		if math.Abs(rate-Confidence) > 0.015 {
			t.Errorf("n=%d: coverage %.3f, want %.2f ± 0.015", n, rate, Confidence)
		}
		// Pairing removes the seed effect (sd 5): with 10 pairs the difference of 1.5
		// against noise of sd √2 is found most of the time (an unpaired interval, whose
		// spread includes the seed effect, would rarely find it).
		if n >= 10 && float64(significant)/draws < 0.8 {
			t.Errorf("n=%d: the difference was significant in %d of %d draws", n, significant, draws)
		}
	}
	// Lower is better: the sign turns so that > 0 still means a is better.
	if iv := PairedInterval([]float64{10, 11, 12}, []float64{12, 13, 14.5}, -1); !(iv.Diff > 2 && iv.Lo > 0) {
		t.Errorf("lower is better: %+v", iv)
	}
	// One pair: no interval, no verdict.
	if iv := PairedInterval([]float64{1}, []float64{0}, 1); iv.OK() || iv.fmtDelta() != "?" {
		t.Errorf("one pair: %+v", iv)
	}
	// An interval containing 0 prints as "~".
	if iv := PairedInterval([]float64{1, 2, 3}, []float64{2, 1, 3}, 1); iv.fmtDelta() != "~" {
		t.Errorf("interval %+v prints %q", iv, iv.fmtDelta())
	}
}

func TestT975Quantile(t *testing.T) {
	for _, tc := range []struct {
		df   int
		want float64
	}{{1, 12.7062}, {4, 2.7764}, {30, 2.0423}, {40, 2.0211}, {120, 1.9799}, {100000, 1.95998}} {
		if got := t975Quantile(tc.df); math.Abs(got-tc.want) > 2e-4 {
			t.Errorf("t(0.975, %d) = %.5f, want %.4f", tc.df, got, tc.want)
		}
	}
}

// The gate compares a grid point only with the same point: baselines of grid results keep an
// entry per point, and a point missing now is reported, not matched with another.
func TestBaselineGridPoints(t *testing.T) {
	set := loadStore(t, gridMatrix())
	b, err := NewBaseline(set, DefaultZ, DefaultFloor)
	if err != nil {
		t.Fatal(err)
	}
	points := map[string]bool{}
	for _, e := range b.Entries {
		points[e.Key.String()] = true
	}
	for _, want := range []string{"tnews/fine-tuning/few@lr=0.0001", "tnews/fine-tuning/few@lr=0.001", "tnews/fl-tuning/few@lr=0.001", "tnews/fl-tuning/few@lr=0.01"} {
		if !points[want] {
			t.Errorf("baseline lacks %s (has %v)", want, points)
		}
	}
	var now []cell
	for _, c := range gridMatrix() {
		if c.grid != "lr=0.01" {
			now = append(now, c)
		}
	}
	cmp := Compare(b, loadStore(t, now))
	if cmp.Count(Regressed) != 0 || !strings.Contains(strings.Join(cmp.Warnings, "\n"), "missing: tnews/fl-tuning/few@lr=0.01") {
		t.Errorf("deltas %+v warnings %q", cmp.Deltas, cmp.Warnings)
	}
}

// Baselines record their seeds, and the gate warns when the current results have others.
func TestBaselineSeeds(t *testing.T) {
	b, err := NewBaseline(loadStore(t, smallMatrix()), DefaultZ, DefaultFloor)
	if err != nil {
		t.Fatal(err)
	}
	if s := b.Entries[0].Seeds; !slices.Equal(s, []int64{1, 2, 3}) {
		t.Fatalf("entry %s seeds %v", b.Entries[0].Key, s)
	}
	var now []cell
	for _, c := range smallMatrix() {
		if !(c.task == "wsc10" && c.method == "fl-tuning" && c.seed == 3) {
			now = append(now, c)
		}
	}
	now = append(now, cell{task: "wsc10", method: "fl-tuning", seed: 4, acc: 82})
	cmp := Compare(b, loadStore(t, now))
	var seedWarnings []string
	for _, w := range cmp.Warnings {
		if strings.HasPrefix(w, "seeds differ") {
			seedWarnings = append(seedWarnings, w)
		}
	}
	want := []string{
		"seeds differ: wsc10/fl-tuning/full metric accuracy has seeds [1 2 3] in the baseline and [1 2 4] now",
		"seeds differ: wsc10/fl-tuning/full metric macro_f1 has seeds [1 2 3] in the baseline and [1 2 4] now",
	}
	if !slices.Equal(seedWarnings, want) {
		t.Errorf("warnings %q, want %q", seedWarnings, want)
	}
	// A baseline without recorded seeds (written before they were) gives no such warning.
	for i := range b.Entries {
		b.Entries[i].Seeds = nil
	}
	for _, w := range Compare(b, loadStore(t, now)).Warnings {
		if strings.HasPrefix(w, "seeds differ") {
			t.Errorf("old baseline: %s", w)
		}
	}
}

// comparisons.md of the small matrix (no grid): no selection section; every pair of methods
// with its paired interval, the convergence ratios', the claims' and the compute.
func TestComparisonsGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := testReport(t).WriteFair(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "comparisons.md", buf.Bytes())
	md := buf.String()
	for _, want := range []string{
		// WSC1.0, FL-tuning − P-tuning v2: 18 on every seed, an interval of width 0.
		"| 3     | +18.00 [+18.00, +18.00]  | +18.00 |",
		// AFQMC, FL-tuning − fine-tuning: −1, −1, −0.5; [−1.55, −0.12] excludes 0.
		"| FL-tuning   | Fine-tuning | full     | 3     | -0.83 [-1.55, -0.12]     | -0.83  |",
		// Few-shot AFQMC has one seed per method: no interval, a warning.
		"Warning: too few seeds: FL-tuning vs P-tuning v2 on AFQMC, Few-shot has 1 paired run(s)",
		"## Grid selection",
	} {
		if strings.Contains(md, want) != (want != "## Grid selection") {
			t.Errorf("comparisons.md: %q present = %v", want, strings.Contains(md, want))
		}
	}
}
