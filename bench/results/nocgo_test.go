package results

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/clue-bench/clue-bench/"

// pure are the packages that plan runs and read results: they must build without cgo, so
// that reporting and planning work on a machine without libtorch.
var pure = []string{"bench/plan", "bench/results", "reports"}

// torchPackages are the packages that hold or reach libtorch. None of them may be a
// dependency of a pure package, even once one of them builds without cgo: the split keeps
// the runner's side out of reading and planning. (bench/plan and bench/results live under
// bench/ but do not import it.)
var torchPackages = []string{"bench", "model", "methods", "heads", "trainer", "optim", "builtin",
	"internal/torchrt", "internal/tsx"}

// TestPurePackagesNeedNoCgo lists the pure packages' dependencies with cgo off and with it on,
// and fails on a package error, on gotch or a libtorch package, and on any non-standard
// dependency with cgo files.
func TestPurePackagesNeedNoCgo(t *testing.T) {
	for _, p := range pure {
		t.Run(p, func(t *testing.T) {
			if bad := cgoDeps(t, module+p); len(bad) > 0 {
				t.Errorf("%s must build without cgo and libtorch, but:\n  %s", p, strings.Join(bad, "\n  "))
			}
		})
	}
}

// TestCgoDepsSeesTheRunner keeps the check above honest: the runner reaches gotch, and
// cgoDeps must say so.
func TestCgoDepsSeesTheRunner(t *testing.T) {
	bad := cgoDeps(t, module+"bench")
	var gotch bool
	for _, b := range bad {
		gotch = gotch || strings.Contains(b, "github.com/sugarme/gotch")
	}
	if !gotch {
		t.Fatalf("cgoDeps(bench) = %q; want it to name gotch", bad)
	}
}

// cgoDeps returns what keeps pkg from building without cgo and libtorch, one line each.
func cgoDeps(t *testing.T, pkg string) []string {
	t.Helper()
	var bad []string
	// With cgo off, a dependency whose files all need cgo is a package error.
	for _, line := range goList(t, "0", pkg, `{{.ImportPath}}	{{with .Error}}{{.}}{{end}}`) {
		path, errText, _ := strings.Cut(line, "\t")
		if errText != "" {
			bad = append(bad, fmt.Sprintf("%s: %s", path, errText))
		}
		if strings.HasPrefix(path, "github.com/sugarme/gotch") {
			bad = append(bad, path+": gotch")
		}
		for _, tp := range torchPackages {
			if path == module+tp {
				bad = append(bad, path+": a libtorch package")
			}
		}
	}
	// With cgo on, the cgo files are listed: only the standard library may have them.
	for _, line := range goList(t, "1", pkg, `{{if not .Standard}}{{.ImportPath}}	{{len .CgoFiles}}{{end}}`) {
		if path, n, _ := strings.Cut(line, "\t"); n != "0" {
			bad = append(bad, fmt.Sprintf("%s: %s cgo files", path, n))
		}
	}
	return bad
}

// goList runs go list -deps -e on pkg with CGO_ENABLED=cgo and returns its non-empty lines.
func goList(t *testing.T, cgo, pkg, format string) []string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command: %v", err)
	}
	cmd := exec.Command(goCmd, "list", "-deps", "-e", "-f", format, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("CGO_ENABLED=%s go list -deps %s: %v\n%s", cgo, pkg, err, stderr.String())
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}
