package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// Claim outcomes.
const (
	Holds       = "holds"
	DoesNotHold = "does not hold"
	NotRun      = "not run" // the cells the claim needs are missing
	// TooFewSeeds: a delta claim whose methods have fewer than MinPairs paired runs, so there
	// is no interval to judge it by; a warning says so.
	TooFewSeeds = "too few seeds"
	// Inconclusive: a delta claim whose intervals disagree, one meeting the claimed value ±
	// tolerance and another lying outside it (with two seeds the interval over seeds is wide,
	// the one over dev examples narrow); a warning gives both.
	Inconclusive = "inconclusive"
)

// ClaimResult is a claim checked against our results.
type ClaimResult struct {
	ID        string   `json:"id"`
	Text      string   `json:"text,omitempty"`
	Kind      string   `json:"kind"`
	Method    string   `json:"method"`
	Baseline  string   `json:"baseline,omitempty"`
	Task      string   `json:"task,omitempty"`
	Setting   string   `json:"setting,omitempty"`
	Metric    string   `json:"metric,omitempty"`
	Claimed   float64  `json:"claimed"`
	Tolerance float64  `json:"tolerance"`
	Observed  *float64 `json:"observed"` // null when not run
	Status    string   `json:"status"`
	Detail    string   `json:"detail"` // how Observed was computed, or what is missing
	Warnings  []string `json:"warnings,omitempty"`
	Settings  []string `json:"settings,omitempty"` // our settings the check used
	Source    string   `json:"source,omitempty"`
	Line      int      `json:"line"` // in the reference file
	// Interval is a delta claim's paired confidence interval of the observed difference over
	// seeds (see significance.go), by which it is judged; nil for other kinds and when not run.
	Interval *ClaimInterval `json:"interval,omitempty"`
	// Bootstrap is a delta claim's paired bootstrap interval over dev examples (bootstrap.go),
	// where every paired run recorded per-example dev statistics; it joins the judgement.
	Bootstrap *ClaimInterval `json:"bootstrap,omitempty"`
}

// ClaimInterval is the paired interval of a delta claim's difference.
type ClaimInterval struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Pairs int     `json:"pairs"`
}

// CheckClaims checks every claim of ref against groups. A claim holds when
// |observed − claimed| ≤ tolerance; a delta claim is judged by its paired interval over seeds
// instead of its point estimate: it holds when the interval meets [claimed − tolerance,
// claimed + tolerance] and does not hold when the interval lies outside, and with too few
// paired seeds for an interval it gets no verdict (TooFewSeeds) but a warning. Where dev
// (Set.Dev; nil for none) has every paired run's per-example statistics, the claim also has a
// bootstrap interval over examples, and the rule of the differences applies: a claim is
// rejected only when every interval it has lies outside the claimed band, as a difference
// counts only when every interval excludes 0. Cells of every setting of the claim's regime
// are pooled, so FewCLUE's several few-shot splits count as one few-shot result, as the
// benchmark reports it.
func CheckClaims(ref *Reference, groups []*Group, dev map[string]*DevRows) []ClaimResult {
	if ref == nil {
		return nil
	}
	var out []ClaimResult
	for _, c := range ref.Claims {
		cr := ClaimResult{ID: c.ID, Text: c.Text, Kind: c.Kind, Method: c.Method, Baseline: c.Baseline, Task: c.Task,
			Setting: c.Setting, Metric: c.Metric, Claimed: c.Value, Tolerance: c.Tolerance, Source: c.Source, Line: c.Line}
		keep := func(g *Group) bool {
			return (c.Task == "" || g.Task == c.Task) && (c.Setting == "" || Regime(g.Split) == c.Setting)
		}
		var obs float64
		var ok bool
		switch c.Kind {
		case ClaimDelta:
			obs, ok = checkDelta(&cr, groups, keep, dev)
		case ClaimConvergence:
			obs, ok = checkConvergence(&cr, groups, keep)
		case ClaimParams:
			obs, ok = checkParams(&cr, groups, keep)
		}
		switch {
		case !ok:
			cr.Status = NotRun
		case c.Kind == ClaimDelta:
			cr.Observed = &obs
			judgeDelta(&cr, c.Value, c.Tolerance)
		case math.Abs(obs-c.Value) <= c.Tolerance+1e-9:
			cr.Status, cr.Observed = Holds, &obs
		default:
			cr.Status, cr.Observed = DoesNotHold, &obs
		}
		out = append(out, cr)
	}
	return out
}

func where(c *ClaimResult) string {
	var parts []string
	if c.Task != "" {
		parts = append(parts, TaskName(c.Task))
	}
	if c.Setting != "" {
		parts = append(parts, regimeTitle(c.Setting))
	}
	if len(parts) == 0 {
		return "any task or setting"
	}
	return strings.Join(parts, ", ")
}

// checkDelta computes the method's mean minus the baseline's, in the metric's better direction.
// Only (backbone, setting, task)s where both ran count: a method's cells without the
// baseline's beside them (another backbone, a missing fold) would compare different problems.
// They are named in a warning; with no pair at all the claim is not run.
func checkDelta(cr *ClaimResult, groups []*Group, keep func(*Group) bool, dev map[string]*DevRows) (float64, bool) {
	type where3 struct{ backbone, setting, task string }
	ran := map[where3]map[string]bool{}
	for _, g := range groups {
		if keep(g) && (g.Method == cr.Method || g.Method == cr.Baseline) {
			k := where3{g.Backbone, g.Setting, g.Task}
			if ran[k] == nil {
				ran[k] = map[string]bool{}
			}
			ran[k][g.Method] = true
		}
	}
	var unpaired []string
	vals := map[string][]float64{}
	higher, known := true, false
	pairMetric := cr.Metric
	for _, g := range groups {
		if !keep(g) || (g.Method != cr.Method && g.Method != cr.Baseline) {
			continue
		}
		if r := ran[where3{g.Backbone, g.Setting, g.Task}]; !r[cr.Method] || !r[cr.Baseline] {
			unpaired = append(unpaired, withBackbone(g.Backbone, g.Task+"/"+g.Method+"/"+g.Setting))
			continue
		}
		if pairMetric == "" {
			pairMetric = g.Headline().Name
		}
		metric := cr.Metric
		if metric == "" {
			metric = g.Headline().Name
		}
		for _, m := range g.Metrics {
			if m.Name == metric {
				higher, known = m.HigherIsBetter, true
			}
		}
		for _, r := range g.Cells {
			if v, ok := r.Best[metric]; ok {
				vals[g.Method] = append(vals[g.Method], v)
			}
		}
		if !contains(cr.Settings, g.Setting) {
			cr.Settings = append(cr.Settings, g.Setting)
		}
	}
	anyRan := map[string]bool{}
	for _, r := range ran {
		for m := range r {
			anyRan[m] = true
		}
	}
	var missing []string
	for _, m := range []string{cr.Method, cr.Baseline} {
		if len(vals[m]) == 0 && !anyRan[m] {
			missing = append(missing, MethodName(m))
		}
	}
	if len(missing) == 0 && (len(vals[cr.Method]) == 0 || len(vals[cr.Baseline]) == 0) {
		cr.Detail = fmt.Sprintf("no (backbone, setting) on %s where both %s and %s ran.", where(cr), MethodName(cr.Method), MethodName(cr.Baseline))
		cr.Warnings = append(cr.Warnings, fmt.Sprintf("left out, no cells of the other method beside them: %s", strings.Join(unpaired, ", ")))
		return 0, false
	}
	if len(missing) > 0 || !known {
		cr.Detail = fmt.Sprintf("no ok cells for %s on %s.", strings.Join(missing, " and "), where(cr))
		return 0, false
	}
	sign := 1.0
	if !higher {
		sign = -1
	}
	pairs, _, _, _ := pairedRuns(groups, cr.Method, cr.Baseline, pairMetric, keep)
	xa, xb := pairValues(pairs, pairMetric)
	if iv := PairedInterval(xa, xb, sign); iv.OK() {
		cr.Interval = &ClaimInterval{Lo: iv.Lo, Hi: iv.Hi, Pairs: iv.N}
	} else {
		cr.Warnings = append(cr.Warnings, fmt.Sprintf("%d paired run(s) (same setting and seed): no confidence interval, so no verdict", iv.N))
	}
	if e, why := examplesBootstrap(pairs, pairMetric, sign, dev); e != nil {
		cr.Bootstrap = &ClaimInterval{Lo: e.Lo, Hi: e.Hi, Pairs: e.Pairs}
	} else if why != "" {
		cr.Warnings = append(cr.Warnings, "no bootstrap over examples: "+why)
	}
	a, b := Summarize(vals[cr.Method]), Summarize(vals[cr.Baseline])
	se := math.Sqrt(a.Std*a.Std/float64(a.N) + b.Std*b.Std/float64(b.N))
	cr.Detail = fmt.Sprintf("%s %s vs %s %s on %s; standard error of the difference %.2f.",
		MethodName(cr.Method), markdownStyle.summary(a), MethodName(cr.Baseline), markdownStyle.summary(b), where(cr), se)
	for _, m := range []struct {
		name string
		s    Summary
	}{{cr.Method, a}, {cr.Baseline, b}} {
		if m.s.N < 2 {
			cr.Warnings = append(cr.Warnings, fmt.Sprintf("%s has %d seed: no estimate of seed noise", MethodName(m.name), m.s.N))
		}
	}
	if len(unpaired) > 0 {
		cr.Warnings = append(cr.Warnings, fmt.Sprintf("left out, no cells of the other method beside them: %s", strings.Join(unpaired, ", ")))
	}
	return sign * (a.Mean - b.Mean), true
}

// checkConvergence uses ConvergenceRatios, the same computation as the convergence table.
func checkConvergence(cr *ClaimResult, groups []*Group, keep func(*Group) bool) (float64, bool) {
	rat := ConvergenceRatios(groups, cr.Method, cr.Baseline, keep)
	if rat.N == 0 {
		cr.Detail = fmt.Sprintf("no (setting, task) on %s where both %s and %s ran.", where(cr), MethodName(cr.Method), MethodName(cr.Baseline))
		return 0, false
	}
	var per []string
	for _, t := range rat.PerTask {
		per = append(per, fmt.Sprintf("%s %.2f×", withBackbone(t.Backbone, t.Setting+"/"+TaskName(t.Task)), t.Ratio))
		if !contains(cr.Settings, t.Setting) {
			cr.Settings = append(cr.Settings, t.Setting)
		}
	}
	cr.Detail = fmt.Sprintf("%s steps-to-best / %s steps-to-best, geometric mean of %d: %s.",
		MethodName(cr.Baseline), MethodName(cr.Method), rat.N, strings.Join(per, ", "))
	return rat.Overall, true
}

// checkParams averages the method's trainable-parameter percentage over its cells.
func checkParams(cr *ClaimResult, groups []*Group, keep func(*Group) bool) (float64, bool) {
	var pcts []float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, g := range groups {
		if g.Method != cr.Method || !keep(g) {
			continue
		}
		for _, r := range g.Cells {
			p := 100 * r.Params.Ratio
			pcts = append(pcts, p)
			lo, hi = math.Min(lo, p), math.Max(hi, p)
		}
		if !contains(cr.Settings, g.Setting) {
			cr.Settings = append(cr.Settings, g.Setting)
		}
	}
	if len(pcts) == 0 {
		cr.Detail = fmt.Sprintf("no ok cells for %s on %s.", MethodName(cr.Method), where(cr))
		return 0, false
	}
	s := Summarize(pcts)
	cr.Detail = fmt.Sprintf("trainable / total parameters over %d cells: %.3f%% (range %.3f–%.3f%%).", s.N, s.Mean, lo, hi)
	return s.Mean, true
}

// claimsRule is claims.json's statement of the rule, and claimsRuleBootstrap its form where
// some delta claim has a bootstrap interval over examples.
const (
	claimsRule          = "holds when |observed - claimed| <= tolerance; a delta claim holds when its paired 95% interval meets [claimed - tolerance, claimed + tolerance], and has no verdict (too few seeds) without an interval"
	claimsRuleBootstrap = "holds when |observed - claimed| <= tolerance; a delta claim holds when its paired 95% interval over seeds and, where it has one, its paired bootstrap 95% interval over dev examples both meet [claimed - tolerance, claimed + tolerance], does not hold when every interval it has lies outside it, is inconclusive when they disagree, and has no verdict (too few seeds) without the interval over seeds"
)

// anyBootstrap reports whether some claim has a bootstrap interval over examples.
func anyBootstrap(cs []ClaimResult) bool {
	for _, c := range cs {
		if c.Bootstrap != nil {
			return true
		}
	}
	return false
}

// WriteClaimsJSON writes claims.json.
func WriteClaimsJSON(w io.Writer, refPath string, cs []ClaimResult) error {
	if cs == nil {
		cs = []ClaimResult{}
	}
	rule := claimsRule
	if anyBootstrap(cs) {
		rule = claimsRuleBootstrap
	}
	b, err := json.MarshalIndent(struct {
		Reference string        `json:"reference"`
		Rule      string        `json:"rule"`
		Claims    []ClaimResult `json:"claims"`
	}{refPath, rule, cs}, "", "  ")
	if err != nil {
		return fmt.Errorf("claims.json: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// writeClaimsMarkdown writes the claims section of tables.md.
func writeClaimsMarkdown(w io.Writer, refPath string, cs []ClaimResult) error {
	rule := fmt.Sprintf("a convergence or parameter claim holds when |ours − claimed| ≤ tolerance; a delta claim is judged by the paired %g%% interval of our difference over seeds (comparisons.md), not by its point estimate: it holds when the interval meets the claimed value ± tolerance, does not hold when it lies outside, and gets no verdict (too few seeds) with fewer than %d paired runs", 100*Confidence, MinPairs)
	if anyBootstrap(cs) {
		rule = fmt.Sprintf("a convergence or parameter claim holds when |ours − claimed| ≤ tolerance; a delta claim is judged by the paired %g%% intervals of our difference (comparisons.md), not by its point estimate: it holds when its interval over seeds and, where it has one, its bootstrap interval over dev examples both meet the claimed value ± tolerance, does not hold when every interval it has lies outside it, is inconclusive when they disagree, and gets no verdict (too few seeds) with fewer than %d paired runs", 100*Confidence, MinPairs)
	}
	fmt.Fprintf(w, "## Claims\n\nThe paper's claims from `%s`, checked against our results: %s. Deltas are in points of the metric, in its better direction; convergence is a ratio of steps-to-best; parameters are in %% of the model.\n\n", refPath, rule)
	var rows [][]string
	for _, c := range cs {
		ours := "—"
		if c.Observed != nil {
			ours = fmt.Sprintf("%.2f", *c.Observed)
		}
		rows = append(rows, []string{c.ID, markdownStyle.escape(c.Text), fmt.Sprintf("%g", c.Claimed), ours, fmt.Sprintf("± %g", c.Tolerance), c.Status})
	}
	if err := renderMarkdown(w, []string{"Claim", "Statement", "Paper", "Ours", "Tolerance", "Status"}, rows); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, c := range cs {
		fmt.Fprintf(w, "- `%s`: %s", c.ID, c.Detail)
		for _, wn := range c.Warnings {
			fmt.Fprintf(w, " Warning: %s.", wn)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	return nil
}

// judgeDelta sets a delta claim's status from its intervals (see CheckClaims). Where the
// interval and the point estimate disagree on the verdict, a warning says so, so that the
// table's "ours" column and the status can be read together.
func judgeDelta(cr *ClaimResult, claimed, tol float64) {
	if cr.Interval == nil {
		cr.Status = TooFewSeeds
		return
	}
	iv, bs := cr.Interval, cr.Bootstrap
	lo, hi := claimed-tol-1e-9, claimed+tol+1e-9
	meets := func(c *ClaimInterval) bool { return c.Lo <= hi && c.Hi >= lo }
	switch {
	case meets(iv) && (bs == nil || meets(bs)):
		cr.Status = Holds
	case !meets(iv) && (bs == nil || !meets(bs)):
		cr.Status = DoesNotHold
	default:
		cr.Status = Inconclusive
		cr.Warnings = append(cr.Warnings, fmt.Sprintf("inconclusive: the paired %g%% interval over seeds [%.2f, %.2f] and the one over dev examples [%.2f, %.2f] disagree on [%.2f, %.2f]", 100*Confidence, iv.Lo, iv.Hi, bs.Lo, bs.Hi, claimed-tol, claimed+tol))
		return
	}
	if point := math.Abs(*cr.Observed-claimed) <= tol+1e-9; point != (cr.Status == Holds) {
		if bs == nil {
			cr.Warnings = append(cr.Warnings, fmt.Sprintf("judged by the paired %g%% interval [%.2f, %.2f] over %d pairs, which the point estimate alone would judge otherwise", 100*Confidence, iv.Lo, iv.Hi, iv.Pairs))
		} else {
			cr.Warnings = append(cr.Warnings, fmt.Sprintf("judged by the paired %g%% intervals over %d pairs, [%.2f, %.2f] over seeds and [%.2f, %.2f] over dev examples, which the point estimate alone would judge otherwise", 100*Confidence, iv.Pairs, iv.Lo, iv.Hi, bs.Lo, bs.Hi))
		}
	}
}
