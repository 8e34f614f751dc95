package reports

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/clue-bench/clue-bench/bench/results"
)

// WriteIndex writes index.md: links to the report's files and where the results came from.
// files are the report's files relative to its directory.
func (r *Report) WriteIndex(w io.Writer, files []string) error {
	all := append(append([]*results.Result(nil), r.Set.OK...), r.Set.Failed...)
	fmt.Fprintf(w, "# Report on %s\n\n", r.Set.Dir)
	fmt.Fprintf(w, "%d cells: %d ok, %d failed; %d (setting, task, method) groups.\n\n", len(all), len(r.Set.OK), len(r.Set.Failed), len(r.Groups))
	fmt.Fprintf(w, "## Files\n\n")
	desc := map[string]string{
		FileTables: "tables per regime (mean ± std over seeds), claims, convergence, failed cells",
		FileCSV:    "every ok cell and metric, one row each (long format)",
		FileLaTeX:  "the tables for the paper (booktabs)",
		FileClaims: "the paper's claims checked against these results",
		FileFair:   "grid selection, paired differences between methods with confidence intervals, compute per method",
	}
	var plots, sens []string
	for _, f := range files {
		if d, ok := desc[f]; ok {
			fmt.Fprintf(w, "- [%s](%s): %s\n", f, f, d)
		} else if strings.HasSuffix(f, ".png") && strings.HasPrefix(filepath.Base(f), sensitivityPrefix) {
			sens = append(sens, strings.TrimSuffix(f, ".png"))
		} else if strings.HasSuffix(f, ".png") {
			plots = append(plots, strings.TrimSuffix(f, ".png"))
		}
	}
	if len(plots) > 0 {
		fmt.Fprintf(w, "- Convergence plots (dev headline vs step, mean ± std over seeds):\n")
		for _, p := range plots {
			fmt.Fprintf(w, "  - %s: [png](%s.png), [svg](%s.svg)\n", filepath.Base(p), filepath.ToSlash(p), filepath.ToSlash(p))
		}
	}
	if len(sens) > 0 {
		fmt.Fprintf(w, "- Sensitivity plots (dev headline mean over seeds vs a swept hyper-parameter, one line per method):\n")
		for _, p := range sens {
			fmt.Fprintf(w, "  - %s: [png](%s.png), [svg](%s.svg)\n", filepath.Base(p), filepath.ToSlash(p), filepath.ToSlash(p))
		}
	}
	fmt.Fprintf(w, "\n## Provenance\n\nOver all %d cells (ok and failed); counts in parentheses.\n\n", len(all))
	prov := []struct {
		name string
		get  func(p results.Provenance) string
	}{
		{"Commit", func(p results.Provenance) string {
			c := p.GitCommit
			if c == "" {
				c = "unknown"
			}
			if p.GitDirty {
				c += " (dirty)"
			}
			return c
		}},
		{"Go", func(p results.Provenance) string { return p.Go }},
		{"gotch", func(p results.Provenance) string { return p.Gotch }},
		{"libtorch", func(p results.Provenance) string { return p.Libtorch }},
		{"BLAS", func(p results.Provenance) string { return p.BLAS }},
		{"Threads", func(p results.Provenance) string { return strconv.Itoa(p.Threads) }},
		{"Device", func(p results.Provenance) string { return strings.TrimSpace(p.Device + " " + p.DeviceName) }},
		{"Host", func(p results.Provenance) string { return p.Host }},
	}
	for _, pv := range prov {
		fmt.Fprintf(w, "- %s: %s\n", pv.name, tally(all, pv.get))
	}
	var first, last time.Time
	for _, res := range all {
		if s := res.Provenance.StartedAt; !s.IsZero() && (first.IsZero() || s.Before(first)) {
			first = s
		}
		if f := res.Provenance.FinishedAt; f.After(last) {
			last = f
		}
	}
	if !first.IsZero() {
		fmt.Fprintf(w, "- Runs: %s to %s\n", first.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339))
	}
	if dirty := tally(all, func(p results.Provenance) string { return strconv.FormatBool(p.GitDirty) }); strings.Contains(dirty, "true") {
		fmt.Fprintf(w, "\nSome cells ran from a working tree with uncommitted changes: their commit does not fully identify the code.\n")
	}
	if len(r.Set.Failed) > 0 {
		fmt.Fprintf(w, "\n## Failed cells\n\n")
		for _, f := range r.Set.Failed {
			fmt.Fprintf(w, "- `%s`: %s\n", f.Cell.Key(), firstLine(f.Error))
		}
	}
	return nil
}

// tally lists the distinct values of get over results, most common first, with counts;
// a single value is printed without its count.
func tally(rs []*results.Result, get func(results.Provenance) string) string {
	counts := map[string]int{}
	for _, r := range rs {
		v := get(r.Provenance)
		if v == "" {
			v = "unknown"
		}
		counts[v]++
	}
	vals := make([]string, 0, len(counts))
	for v := range counts {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool {
		if counts[vals[i]] != counts[vals[j]] {
			return counts[vals[i]] > counts[vals[j]]
		}
		return vals[i] < vals[j]
	})
	if len(vals) == 1 {
		return "`" + vals[0] + "`"
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = fmt.Sprintf("`%s` (%d)", v, counts[v])
	}
	return strings.Join(parts, ", ")
}
