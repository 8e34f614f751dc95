package gotchprep

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestKnownFailing(t *testing.T) {
	got := KnownFailing("v0.9.1", "1.13.0")
	if len(got) < 50 || !slices.Contains(got, "atg__cslt_compress") {
		t.Errorf("gotch v0.9.1 on libtorch 1.13.0: %d known failing wrappers %v", len(got), got)
	}
	for _, v := range [][2]string{{"v0.9.1", "1.13.1"}, {"v0.9.1", "2.1.0"}, {"v0.9.0", "1.13.0"}, {"v0.9.1", "../1.13.0"}} {
		if got := KnownFailing(v[0], v[1]); got != nil {
			t.Errorf("KnownFailing(%q, %q) = %v, want nil (no exact match)", v[0], v[1], got)
		}
	}
}

func TestHeadLines(t *testing.T) {
	got := HeadLines(genSample, []string{"atg_gone_int", "atg_gone_void", "atg_missing"})
	if want := []int{10, 25}; !slices.Equal(got, want) {
		t.Errorf("HeadLines = %v, want %v", got, want)
	}
	if got := HeadLines(genSample, nil); got != nil {
		t.Errorf("HeadLines with no names = %v", got)
	}
}

// TestPrepareUsesKnownFailing: with the failing wrapper known in advance, Prepare disables it
// before checking, and one compile check (which passes) is enough instead of two; a guess
// naming only wrappers the file lacks changes nothing.
func TestPrepareUsesKnownFailing(t *testing.T) {
	defer func(f func(string, string) []string) { knownFailing = f }(knownFailing)
	for _, c := range []struct {
		guess  []string
		checks int
	}{
		{[]string{"atg_gone_int"}, 1},
		{[]string{"atg_not_in_this_gotch"}, 2},
		{nil, 2},
	} {
		knownFailing = func(g, l string) []string {
			if g != "v0.9.1" || l != "1.13.0" {
				t.Errorf("asked for gotch %s, libtorch %s", g, l)
			}
			return c.guess
		}
		o, runs := fakeGotch(t, "0")
		o.OutDir = filepath.Join(t.TempDir(), "gotch")
		s, _, err := Prepare(o)
		if err != nil {
			t.Fatalf("guess %v: %v", c.guess, err)
		}
		if !slices.Equal(s.Disabled, []string{"atg_gone_int"}) || s.CompileChecks != c.checks || compilerRuns(t, runs) != c.checks {
			t.Errorf("guess %v: disabled %v after %d checks (%d compiler runs), want [atg_gone_int] after %d",
				c.guess, s.Disabled, s.CompileChecks, compilerRuns(t, runs), c.checks)
		}
	}
}
