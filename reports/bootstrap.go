package reports

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/clue-bench/clue-bench/bench/results"
)

// Bootstrap over dev examples. The interval over seeds (significance.go) sees what seeds and
// folds do to a difference, but not that each run is scored on a finite dev set. Where every
// paired run of both methods recorded per-example statistics of the headline
// (results.DevStats) on the same dev set (same content hash), a difference also gets a
// paired bootstrap over examples: each resample draws, within each pair's own dev set, as
// many example indices as it has, with replacement, the same indices for both methods;
// recomputes both runs' headline from the drawn rows (clue.StatsCombiner); and takes the
// mean over pairs of the differences. The 2.5th and 97.5th percentiles of BootstrapReps
// resamples are the interval. The draws come from a generator seeded by the paired runs'
// keys, so a report is reproducible, one difference's interval does not depend on which
// others the report holds, and a delta claim over the same runs as a row of the differences
// gets the same interval.
//
// The two intervals answer different questions, and a difference counts only when both
// exclude 0: Δ prints "~" when either includes it. A verdict still needs the interval over
// seeds (MinPairs pairs): with one seed a bootstrap over examples cannot see seed noise.

// BootstrapReps is the number of resamples of a bootstrap over examples.
const BootstrapReps = 2000

// bootstrapSeed is mixed with the hash of a difference's runs into its generator's seed.
const bootstrapSeed = 20261207

// BootstrapMethod says in the report how the interval over examples is computed.
const BootstrapMethod = "paired bootstrap over dev examples where every paired run recorded per-example dev statistics on the same dev set (example indices drawn with replacement within each pair's dev set, the same for both methods; each run's headline recomputed from the drawn examples; mean difference over pairs), 2000 resamples with a fixed seed, 95% percentile interval"

// ExampleInterval is a difference's paired bootstrap interval over dev examples.
type ExampleInterval struct {
	Lo, Hi   float64
	Pairs    int // paired runs
	Examples int // dev examples over the pairs' dev sets
}

func (e *ExampleInterval) includesZero() bool { return e.Lo <= 0 && e.Hi >= 0 }

// pairRows are the dev statistics of one paired run, a's and b's.
type pairRows struct{ a, b *DevRows }

// examplesBootstrap is the bootstrap interval over examples of the difference of pairs on
// metric (sign +1 when higher is better, −1 otherwise). Without it, it says why not: a pair's
// run without usable statistics, statistics of another metric, or two runs of a pair on
// different dev sets; the reason is "" when no run of the pairs has statistics, so that
// results recorded without them say nothing about it.
func examplesBootstrap(pairs []runPair, metric string, sign float64, dev map[string]*DevRows) (*ExampleInterval, string) {
	var rows []pairRows
	var missing, differ []string
	recorded := false
	for _, p := range pairs {
		a, b := dev[p.a.Cell.Key()], dev[p.b.Cell.Key()]
		recorded = recorded || a != nil || b != nil || p.a.DevStats != "" || p.b.DevStats != ""
		for _, x := range []struct {
			r *results.Result
			d *DevRows
		}{{p.a, a}, {p.b, b}} {
			if x.d == nil {
				missing = append(missing, runName(x.r))
			}
		}
		if a == nil || b == nil {
			continue
		}
		if a.Metric != metric || b.Metric != metric {
			return nil, fmt.Sprintf("the dev statistics are of %s, not %s", a.Metric, metric)
		}
		if a.Hash != b.Hash || a.N != b.N {
			differ = append(differ, fmt.Sprintf("%s and %s", runName(p.a), runName(p.b)))
			continue
		}
		rows = append(rows, pairRows{a, b})
	}
	switch {
	case !recorded || len(pairs) == 0:
		return nil, ""
	case len(missing) > 0:
		return nil, "no dev statistics for " + abbreviateList(missing, 4)
	case len(differ) > 0:
		return nil, "different dev sets in " + abbreviateList(differ, 2)
	}
	lo, hi := bootstrapInterval(rows, sign, BootstrapReps, pairsSeed(pairs))
	e := &ExampleInterval{Lo: lo, Hi: hi, Pairs: len(rows)}
	for _, p := range rows {
		e.Examples += p.a.N
	}
	return e, ""
}

// runName names one run: its cell and seed.
func runName(r *results.Result) string { return fmt.Sprintf("%s seed %d", r.Cell.Name(), r.Cell.Seed) }

// pairsSeed is the generator seed of a difference: a hash of its paired runs' keys, in order.
func pairsSeed(pairs []runPair) uint64 {
	h := fnv.New64a()
	for _, p := range pairs {
		fmt.Fprintf(h, "%s|%s\n", p.a.Cell.Key(), p.b.Cell.Key())
	}
	return h.Sum64() ^ bootstrapSeed
}

// bootstrapInterval is the 95% percentile interval of the mean over pairs of the paired
// difference sign·(a − b), over reps resamples of each pair's examples.
func bootstrapInterval(pairs []pairRows, sign float64, reps int, seed uint64) (lo, hi float64) {
	rng := rand.New(rand.NewPCG(seed, bootstrapSeed))
	ps := make([]patterns, len(pairs))
	for i, p := range pairs {
		ps[i] = patternsOf(p)
	}
	means := make([]float64, reps)
	for r := range means {
		total := 0.0
		for i := range ps {
			total += sign * ps[i].resample(rng)
		}
		means[r] = total / float64(len(ps))
	}
	sort.Float64s(means)
	alpha := (1 - Confidence) / 2
	return quantile(means, alpha), quantile(means, 1-alpha)
}

// patterns are a pair's examples grouped by their (a, b) rows: a resample draws examples
// uniformly and counts how often each pattern came up, so its cost per drawn example is one
// random number and one increment, whatever the number of columns (accuracy has 2 patterns
// per run, a pair at most 4).
type patterns struct {
	a, b     *DevRows
	of       []int32   // each example's pattern
	ra, rb   []float64 // the patterns' rows, a's and b's
	count    []float64 // draws per pattern in the current resample
	sa, sb   []float64 // column sums of the current resample
	n        int
	ca, cb   int
	patterns int
}

func patternsOf(p pairRows) patterns {
	ps := patterns{a: p.a, b: p.b, n: p.a.N, ca: p.a.cols, cb: p.b.cols, of: make([]int32, p.a.N)}
	index := map[string]int32{}
	key := make([]byte, 0, 8*(ps.ca+ps.cb))
	for i := 0; i < ps.n; i++ {
		ra, rb := p.a.flat[i*ps.ca:(i+1)*ps.ca], p.b.flat[i*ps.cb:(i+1)*ps.cb]
		key = key[:0]
		for _, v := range ra {
			key = binary.LittleEndian.AppendUint64(key, math.Float64bits(v))
		}
		for _, v := range rb {
			key = binary.LittleEndian.AppendUint64(key, math.Float64bits(v))
		}
		k, ok := index[string(key)]
		if !ok {
			k = int32(ps.patterns)
			index[string(key)] = k
			ps.patterns++
			ps.ra, ps.rb = append(ps.ra, ra...), append(ps.rb, rb...)
		}
		ps.of[i] = k
	}
	ps.count = make([]float64, ps.patterns)
	ps.sa, ps.sb = make([]float64, ps.ca), make([]float64, ps.cb)
	return ps
}

// resample draws the pair's examples once, with replacement, and returns a's headline minus
// b's over the draw.
func (ps *patterns) resample(rng *rand.Rand) float64 {
	clear(ps.count)
	for k := 0; k < ps.n; k++ {
		ps.count[ps.of[rng.IntN(ps.n)]]++
	}
	clear(ps.sa)
	clear(ps.sb)
	for p, c := range ps.count {
		if c == 0 {
			continue
		}
		for j, v := range ps.ra[p*ps.ca : (p+1)*ps.ca] {
			ps.sa[j] += c * v
		}
		for j, v := range ps.rb[p*ps.cb : (p+1)*ps.cb] {
			ps.sb[j] += c * v
		}
	}
	return ps.a.combine(ps.sa, ps.n) - ps.b.combine(ps.sb, ps.n)
}

// quantile is the q-quantile of sorted xs, interpolating linearly between order statistics.
func quantile(xs []float64, q float64) float64 {
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}

// abbreviateList joins up to n items and counts the rest.
func abbreviateList(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return strings.Join(xs[:n], ", ") + fmt.Sprintf(" and %d more", len(xs)-n)
}

// fmtCI is the interval over examples as "[+0.40, +2.06]", or "—" without one.
func (e *ExampleInterval) fmtCI() string {
	if e == nil {
		return "—"
	}
	return fmt.Sprintf("[%+.2f, %+.2f]", e.Lo, e.Hi)
}
