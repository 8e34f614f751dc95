package reports

import (
	"fmt"
	"math"
	"strings"

	"github.com/clue-bench/clue-bench/bench/results"
)

// Significance. A difference between two methods is reported with a paired 95% confidence
// interval: the runs of the two methods are paired by (setting, seed), the same seed and the
// same few-shot fold (each FewCLUE fold is a setting of its regime) giving both methods the
// same data order and split, and the interval is Student's t interval of the mean of the
// per-pair differences,
//
//	d̄ ± t(0.975, n−1) · s_d / √n.
//
// Pairing removes what the seed and fold do to both methods alike. The interval is exact for
// normal differences and needs no random numbers; a bootstrap over 2–5 pairs would be narrower
// than it should (it cannot see tails it has no samples of). Where every paired run recorded
// per-example dev statistics on the same dev set, the difference also gets a paired bootstrap
// over dev examples (bootstrap.go), which sees the dev set's sampling noise that the seeds do
// not. As benchstat does, a difference prints as "~" when an interval includes 0 (either
// one, where it has both); with fewer than MinPairs pairs there is no interval over seeds and
// the report warns instead of giving a verdict.

// Confidence is the two-sided level of the intervals.
const Confidence = 0.95

// MinPairs is the fewest paired runs an interval is computed from: with one pair the spread of
// the differences is unknown.
const MinPairs = 2

// CIMethod says in the report how the interval over seeds is computed (BootstrapMethod, the
// one over examples).
const CIMethod = "paired over seeds and few-shot folds (runs paired by setting and seed), Student's t interval of the mean difference, 95%"

// noBootstrap ends CIMethod in a report of results without per-example dev statistics, and
// noBootstrapPairs in one where some runs have them but no difference has them for every
// paired run on one dev set.
const (
	noBootstrap      = "; results record no per-example dev predictions, so there is no bootstrap over examples"
	noBootstrapPairs = "; no difference has per-example dev statistics for every paired run on one dev set, so there is no bootstrap over examples"
)

// Interval is a paired difference a − b (in the metric's better direction: > 0 means a is
// better) with its confidence interval over N pairs; Lo and Hi are NaN when N < MinPairs.
type Interval struct {
	Diff, Lo, Hi float64
	N            int
}

// OK reports whether the interval was computed (enough pairs).
func (iv Interval) OK() bool { return iv.N >= MinPairs }

// Significant reports whether the interval excludes 0.
func (iv Interval) Significant() bool { return iv.OK() && (iv.Lo > 0 || iv.Hi < 0) }

// Covers reports whether [lo, hi] meets the interval.
func (iv Interval) Covers(lo, hi float64) bool { return iv.OK() && iv.Lo <= hi && iv.Hi >= lo }

// PairedInterval computes the interval of mean(a[i] − b[i]) over pairs; sign is +1 when higher
// is better and −1 otherwise.
func PairedInterval(a, b []float64, sign float64) Interval {
	n := min(len(a), len(b))
	ds := make([]float64, n)
	for i := range ds {
		ds[i] = sign * (a[i] - b[i])
	}
	s := Summarize(ds)
	iv := Interval{Diff: s.Mean, N: n, Lo: math.NaN(), Hi: math.NaN()}
	if n < MinPairs {
		return iv
	}
	half := t975Quantile(n-1) * s.Std / math.Sqrt(float64(n))
	iv.Lo, iv.Hi = s.Mean-half, s.Mean+half
	return iv
}

// t975 is Student's t 0.975 quantile for 1 to 30 degrees of freedom.
var t975 = [...]float64{12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
	2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
	2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423}

// t975Quantile is the 0.975 quantile of Student's t with df ≥ 1 degrees of freedom, the one
// a 95% two-sided interval needs: the table up to 30, then the Cornish–Fisher expansion around
// the normal quantile, which is within 1e-4 there.
func t975Quantile(df int) float64 {
	if df < 1 {
		return math.Inf(1)
	}
	if df <= len(t975) {
		return t975[df-1]
	}
	z, v := 1.959963984540054, float64(df)
	return z + (z*z*z+z)/(4*v) + (5*math.Pow(z, 5)+16*z*z*z+3*z)/(96*v*v)
}

// fmtDelta is a difference for the report: "~" when the interval includes 0, the signed
// difference when it does not, "?" without an interval.
func (iv Interval) fmtDelta() string {
	switch {
	case !iv.OK():
		return "?"
	case !iv.Significant():
		return "~"
	}
	return fmt.Sprintf("%+.2f", iv.Diff)
}

// fmtCI is the interval as "+1.23 [+0.40, +2.06]".
func (iv Interval) fmtCI() string {
	if !iv.OK() {
		return fmt.Sprintf("%+.2f (n=%d, no interval)", iv.Diff, iv.N)
	}
	return fmt.Sprintf("%+.2f [%+.2f, %+.2f]", iv.Diff, iv.Lo, iv.Hi)
}

// PairDiff is one method-vs-method difference of a (backbone, regime, task).
type PairDiff struct {
	Backbone, Regime, Task string
	Metric                 string
	A, B                   string // methods; the difference is A − B
	Settings               []string
	Interval               // over seeds
	// Examples is the bootstrap interval over dev examples, nil where some paired run lacks
	// per-example statistics; NoExamples says why where some run has them.
	Examples   *ExampleInterval
	NoExamples string
}

// Significant reports whether the difference counts: its interval over seeds excludes 0, and
// so does its interval over examples where it has one.
func (d PairDiff) Significant() bool {
	return d.Interval.Significant() && (d.Examples == nil || !d.Examples.includesZero())
}

// fmtDelta is the difference for the report: "~" when an interval includes 0, the signed
// difference when none does, "?" without an interval over seeds.
func (d PairDiff) fmtDelta() string {
	switch {
	case !d.OK():
		return "?"
	case !d.Significant():
		return "~"
	}
	return fmt.Sprintf("%+.2f", d.Diff)
}

// intervals names the intervals a difference has.
func (d PairDiff) intervals() string {
	var out []string
	if d.OK() {
		out = append(out, "seeds t")
	}
	if d.Examples != nil {
		out = append(out, "examples bootstrap")
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, " + ")
}

// runPair is one paired run of two methods: the same backbone, setting and seed.
type runPair struct {
	a, b    *results.Result
	setting string
}

// pairValues are the best dev values of metric of paired runs, a's and b's.
func pairValues(pairs []runPair, metric string) (xa, xb []float64) {
	for _, p := range pairs {
		xa, xb = append(xa, p.a.Best[metric]), append(xb, p.b.Best[metric])
	}
	return xa, xb
}

// pairedRuns pairs the runs of two methods by (backbone, setting, seed) over the groups keep
// accepts, among the runs that have metric, in a's groups' order; higher is the metric's
// direction and known whether any group has it.
func pairedRuns(groups []*Group, a, b, metric string, keep func(*Group) bool) (pairs []runPair, settings []string, higher, known bool) {
	type pk struct {
		backbone, setting string
		seed              int64
	}
	va, vb := map[pk]*results.Result{}, map[pk]*results.Result{}
	var order []pk
	higher = true
	for _, g := range groups {
		if !keep(g) || (g.Method != a && g.Method != b) {
			continue
		}
		for _, m := range g.Metrics {
			if m.Name == metric {
				higher, known = m.HigherIsBetter, true
			}
		}
		for _, r := range g.Cells {
			if _, ok := r.Best[metric]; !ok {
				continue
			}
			k := pk{g.Backbone, g.Setting, r.Cell.Seed}
			if g.Method == a {
				va[k] = r
				order = append(order, k)
			} else {
				vb[k] = r
			}
		}
	}
	for _, k := range order {
		y, ok := vb[k]
		if !ok {
			continue
		}
		pairs = append(pairs, runPair{a: va[k], b: y, setting: k.setting})
		if !contains(settings, k.setting) {
			settings = append(settings, k.setting)
		}
	}
	return pairs, settings, higher, known
}

// PairDiffs lists every pair of methods that ran the same (backbone, regime, task), in the
// groups' order (methods in paper order, the later method first: fl-tuning − p-tuning-v2), on
// the task's headline metric, with the bootstrap over examples where dev (Set.Dev, by cell
// key; nil for none) has every paired run's statistics.
func PairDiffs(groups []*Group, dev map[string]*DevRows) []PairDiff {
	type rt struct{ backbone, regime, task string }
	var order []rt
	methods := map[rt][]string{}
	metric := map[rt]string{}
	for _, g := range groups {
		k := rt{g.Backbone, Regime(g.Split), g.Task}
		if _, seen := methods[k]; !seen {
			order = append(order, k)
			metric[k] = g.Headline().Name
		}
		if !contains(methods[k], g.Method) {
			methods[k] = append(methods[k], g.Method)
		}
	}
	var out []PairDiff
	for _, k := range order {
		ms := methods[k]
		sortByOrder(ms, methodOrder)
		keep := func(g *Group) bool {
			return g.Backbone == k.backbone && Regime(g.Split) == k.regime && g.Task == k.task
		}
		for j := len(ms) - 1; j >= 0; j-- {
			for i := j - 1; i >= 0; i-- {
				pairs, settings, higher, _ := pairedRuns(groups, ms[j], ms[i], metric[k], keep)
				sign := 1.0
				if !higher {
					sign = -1
				}
				xa, xb := pairValues(pairs, metric[k])
				d := PairDiff{Backbone: k.backbone, Regime: k.regime, Task: k.task, Metric: metric[k],
					A: ms[j], B: ms[i], Settings: settings, Interval: PairedInterval(xa, xb, sign)}
				d.Examples, d.NoExamples = examplesBootstrap(pairs, metric[k], sign, dev)
				out = append(out, d)
			}
		}
	}
	return out
}

// fewPairsWarnings lists the differences without an interval.
func fewPairsWarnings(ds []PairDiff) []string {
	var out []string
	for _, d := range ds {
		if !d.OK() {
			out = append(out, fmt.Sprintf("too few seeds: %s vs %s on %s, %s has %d paired run(s); no interval, no verdict",
				MethodName(d.A), MethodName(d.B), withBackbone(d.Backbone, TaskName(d.Task)), regimeTitle(d.Regime), d.N))
		}
	}
	return out
}

// joinSettings names the settings a difference pooled.
func joinSettings(ss []string) string { return strings.Join(ss, ", ") }

// RatioInterval is a convergence ratio (baseline's steps-to-best over the method's, > 1: the
// method is faster) of one (backbone, setting, task) with its paired interval: the t interval
// of the per-seed log ratios, exponentiated, so that 2× and 0.5× are symmetric as in the
// geometric means of the convergence table.
type RatioInterval struct {
	Backbone, Setting, Task string
	Ratio, Lo, Hi           float64 // Lo and Hi are NaN without an interval
	N                       int
}

// ConvergenceIntervals pairs method's and baseline's cells by seed on each (backbone, setting,
// task) both ran; seeds whose best step is not positive on either side are left out.
func ConvergenceIntervals(groups []*Group, method, baseline string) []RatioInterval {
	type k struct{ b, s, t string }
	var order []k
	steps := map[k]map[string]map[int64]float64{}
	for _, g := range groups {
		if g.Method != method && g.Method != baseline {
			continue
		}
		key := k{g.Backbone, g.Setting, g.Task}
		if steps[key] == nil {
			steps[key] = map[string]map[int64]float64{}
			order = append(order, key)
		}
		if steps[key][g.Method] == nil {
			steps[key][g.Method] = map[int64]float64{}
		}
		for _, r := range g.Cells {
			if s := CellConvergence(r).BestStep; s > 0 {
				steps[key][g.Method][r.Cell.Seed] = float64(s)
			}
		}
	}
	var out []RatioInterval
	for _, key := range order {
		m, b := steps[key][method], steps[key][baseline]
		if m == nil || b == nil {
			continue
		}
		var la, lb []float64
		for _, g := range groups { // seeds in the groups' order
			if g.Method != method || g.Backbone != key.b || g.Setting != key.s || g.Task != key.t {
				continue
			}
			for _, r := range g.Cells {
				x, okm := m[r.Cell.Seed]
				y, okb := b[r.Cell.Seed]
				if okm && okb {
					la, lb = append(la, math.Log(y)), append(lb, math.Log(x))
				}
			}
		}
		if len(la) == 0 {
			continue
		}
		iv := PairedInterval(la, lb, 1)
		out = append(out, RatioInterval{Backbone: key.b, Setting: key.s, Task: key.t, N: iv.N,
			Ratio: math.Exp(iv.Diff), Lo: math.Exp(iv.Lo), Hi: math.Exp(iv.Hi)})
	}
	return out
}
