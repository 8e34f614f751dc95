package gotchprep

import (
	"embed"
	"fmt"
	"strings"
)

// known holds, per gotch and libtorch version, the wrappers that an earlier preparation found
// failing (its disabled-wrappers.txt), named known/gotch-<gotch>_libtorch-<libtorch>.txt.
//
//go:embed known/*.txt
var known embed.FS

// knownFailing is KnownFailing, replaced by tests.
var knownFailing = KnownFailing

// KnownFailing returns the wrappers known not to compile against this libtorch version, or
// nil. Prepare disables them before its first compile check: a guess that saves a check
// (about 20 s of a machine's first build) when it is right, and costs nothing when it is not,
// because the checks still run until one passes. Only an exact version match is used, so that
// no wrapper a libtorch has is disabled for it.
func KnownFailing(gotchVersion, libtorchVersion string) []string {
	b, err := known.ReadFile(fmt.Sprintf("known/gotch-%s_libtorch-%s.txt", gotchVersion, libtorchVersion))
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}

// HeadLines returns the 1-based lines of the named wrappers' signatures in the generated
// source, for Disable; names it does not find are left out.
func HeadLines(src string, names []string) []int {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []int
	for i, line := range strings.Split(src, "\n") {
		if m := wrapperHead.FindStringSubmatch(line); m != nil && want[m[2]] {
			out = append(out, i+1)
		}
	}
	return out
}
