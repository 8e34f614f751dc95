package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/clue-bench/clue-bench/model"
)

// TestMain lets the test binary stand in for bench in the children Compare starts
// (`SELF perf --child ours WORKLOAD`), so that Compare is tested without building bench.
func TestMain(m *testing.M) {
	if a := os.Args; len(a) == 5 && a[1] == "perf" && a[2] == "--child" && a[3] == "ours" {
		if err := childOurs(a[4]); err != nil {
			fmt.Fprintln(os.Stderr, "perf test child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func childOurs(workload string) error {
	var w Workload
	if err := json.Unmarshal([]byte(workload), &w); err != nil {
		return err
	}
	meas, err := RunOurs(w)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(meas)
}

// A profiled repetition is a profile of the steps alone: neither side times the products
// beside them there, and the paired shares pool the other repetitions.
func TestProfiledRepetitionTimesNoProducts(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model on both sides")
	}
	r := referenceRunner(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r.Self = self
	s := tinySize(model.ArchBERT)
	s.Reps = 2
	dir := t.TempDir()
	pairs, err := Compare(context.Background(), r, CompareOptions{Sizes: []Size{s}, Methods: []string{"fine-tuning"}, Threads: 1, ProfileDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p := pairs[0]
	if len(p.Ours) != 2 || len(p.Reference) != 2 {
		t.Fatalf("%d and %d repetitions; want 2 of each", len(p.Ours), len(p.Reference))
	}
	for _, side := range [][]Measurement{p.Ours, p.Reference} {
		if len(side[0].GEMMMS) != 0 || len(side[1].GEMMMS) != s.Steps {
			t.Errorf("%s: product times per repetition %d, %d; want none in the profiled one and %d in the other",
				side[0].Side, len(side[0].GEMMMS), len(side[1].GEMMMS), s.Steps)
		}
	}
	if !(p.Summary.OursPairedShare > 0) || !(p.Summary.RefPairedShare > 0) {
		t.Errorf("paired shares %v, %v; want them from the second repetition", p.Summary.OursPairedShare, p.Summary.RefPairedShare)
	}
	if st, err := os.Stat(filepath.Join(dir, "cpu-tiny-fine-tuning.pprof")); err != nil || st.Size() == 0 {
		t.Errorf("no profile: %v", err)
	}
}
