package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/results"
)

// The tuned-weights table shows each group's kept size, a range over seeds, and blank for
// results that record none; without any size the report has no such table.
func TestWeightsTable(t *testing.T) {
	mk := func(method string, seed int64, bytes int64) *results.Result {
		r := cell{task: "afqmc", method: method, seed: seed, acc: 70}.result()
		r.WeightsBytes = bytes
		return r
	}
	old := []*results.Result{mk("fl-tuning", 1, 0), mk("p-tuning-v2", 1, 0)}
	var md bytes.Buffer
	if err := New(&Set{OK: old}, nil).WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "Tuned weights") {
		t.Fatalf("a table for results without sizes:\n%s", md.String())
	}
	rs := []*results.Result{mk("fl-tuning", 1, 300<<10), mk("fl-tuning", 2, 310<<10), mk("p-tuning-v2", 1, 3<<20), mk("fine-tuning", 1, 0)}
	md.Reset()
	if err := New(&Set{OK: rs}, nil).WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	text := md.String()
	for _, want := range []string{
		"## Tuned weights",
		"| full    | AFQMC | Fine-tuning | 100.000% |                     |",
		"| full    | AFQMC | P-tuning v2 | 2.880%   | 3.00 MiB            |",
		"| full    | AFQMC | FL-tuning   | 2.890%   | 300.0 KiB–310.0 KiB |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}
