package tsx

import (
	"strings"
)

// Trim cuts an error message down to what a user can act on. libtorch's messages carry a C++
// backtrace ("Exception raised from … (most recent call first):" and one "frame #N: …" line
// per frame), and gotch appends the Go stack of the call that saw the error ("goroutine N
// [running]:" and its frames, up to a blank line). Both can sit in the middle of a message that
// later wrappers extended; every other line is kept, in order, without blank lines.
func Trim(msg string) string {
	lines := strings.Split(msg, "\n")
	kept := lines[:0]
	goStack := false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case goStack:
			goStack = t != "" // a Go stack dump ends at its first blank line
			continue
		case isGoroutineHeader(t):
			goStack = true
			continue
		case strings.HasPrefix(t, "Exception raised from "), strings.HasPrefix(t, "frame #"), t == "":
			continue
		}
		kept = append(kept, strings.TrimRight(l, " \t\r"))
	}
	return strings.Join(kept, "\n")
}

// isGoroutineHeader reports whether a line opens a Go stack dump: "goroutine 7 [running]:".
func isGoroutineHeader(line string) bool {
	rest, ok := strings.CutPrefix(line, "goroutine ")
	if !ok || !strings.HasSuffix(rest, "]:") {
		return false
	}
	id, _, ok := strings.Cut(rest, " [")
	if !ok || id == "" {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
