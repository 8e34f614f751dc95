package reports

import (
	"fmt"
	"math"
	"strings"
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
// normal differences and needs no random numbers, so a report is reproducible; a bootstrap
// over 2–5 pairs would be narrower than it should (it cannot see tails it has no samples of).
// A bootstrap over examples would need per-example dev predictions, which results do not
// record (a result's predictions file is the unlabelled test-set submission). As benchstat
// does, a difference whose interval includes 0 prints as "~"; with fewer than MinPairs pairs
// there is no interval and the report warns instead of giving a verdict.

// Confidence is the two-sided level of the intervals.
const Confidence = 0.95

// MinPairs is the fewest paired runs an interval is computed from: with one pair the spread of
// the differences is unknown.
const MinPairs = 2

// CIMethod says in the report how intervals were computed.
const CIMethod = "paired over seeds and few-shot folds (runs paired by setting and seed), Student's t interval of the mean difference, 95%; results record no per-example dev predictions, so there is no bootstrap over examples"

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
	Interval
}

// pairedValues collects a metric of two methods paired by (setting, seed) over the groups
// keep accepts; higher is the metric's direction and known whether any group has it.
func pairedValues(groups []*Group, a, b, metric string, keep func(*Group) bool) (xa, xb []float64, settings []string, higher, known bool) {
	type pk struct {
		backbone, setting string
		seed              int64
	}
	va, vb := map[pk]float64{}, map[pk]float64{}
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
			v, ok := r.Best[metric]
			if !ok {
				continue
			}
			k := pk{g.Backbone, g.Setting, r.Cell.Seed}
			if g.Method == a {
				va[k] = v
				order = append(order, k)
			} else {
				vb[k] = v
			}
		}
	}
	for _, k := range order {
		y, ok := vb[k]
		if !ok {
			continue
		}
		xa, xb = append(xa, va[k]), append(xb, y)
		if !contains(settings, k.setting) {
			settings = append(settings, k.setting)
		}
	}
	return xa, xb, settings, higher, known
}

// PairDiffs lists every pair of methods that ran the same (backbone, regime, task), in the
// groups' order (methods in paper order, the later method first: fl-tuning − p-tuning-v2), on
// the task's headline metric.
func PairDiffs(groups []*Group) []PairDiff {
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
				xa, xb, settings, higher, _ := pairedValues(groups, ms[j], ms[i], metric[k], keep)
				sign := 1.0
				if !higher {
					sign = -1
				}
				out = append(out, PairDiff{Backbone: k.backbone, Regime: k.regime, Task: k.task, Metric: metric[k],
					A: ms[j], B: ms[i], Settings: settings, Interval: PairedInterval(xa, xb, sign)})
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
