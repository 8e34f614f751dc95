package methods

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pureImports are the packages a CGO_ENABLED=0 build of the bench command needs to load
// experiments.yaml and compute the same cell ids and counts as the full binary: model configs,
// method specs and what "builtin" stands for.
var pureImports = []string{
	"github.com/clue-bench/clue-bench/model",
	"github.com/clue-bench/clue-bench/methods",
	"github.com/clue-bench/clue-bench/builtin",
}

// TestPureBuild keeps pureImports free of cgo: with CGO_ENABLED=0 neither they nor their tests
// may depend on gotch, and they must type-check and pass vet. A file that needs libtorch
// belongs behind the cgo build constraint (see doc.go: x.go + x_torch.go).
func TestPureBuild(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command, to build without cgo: %v", err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(gobin, args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("CGO_ENABLED=0 go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	for _, pkg := range pureImports {
		var gotch []string
		for _, dep := range strings.Fields(run("list", "-e", "-deps", "-test", "-f", "{{.ImportPath}}", pkg)) {
			if strings.HasPrefix(dep, "github.com/sugarme/gotch") {
				gotch = append(gotch, dep)
			}
		}
		if len(gotch) > 0 {
			t.Errorf("without cgo, %s or its tests still import %s", pkg, strings.Join(gotch, ", "))
		}
	}
	if !t.Failed() {
		run(append([]string{"vet"}, pureImports...)...)
	}
}
