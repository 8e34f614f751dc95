package gotchprep

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// GeneratedName is gotch's file of Go wrappers around the C functions, one function per
// wrapper after a single cgo preamble, in libtch.
const GeneratedName = "c-generated.go"

// generatedParts is how many files SplitGenerated makes of it: measured on a 2-vCPU Xeon, a cold
// build of libtch spent 61 s in cgo with one file, 22 s with 8 and 19.5 s with 16; more files add
// gcc start-ups (several per file) for little.
const generatedParts = 16

// SplitGenerated splits the source of gotch's c-generated.go into n files with the same
// preamble, each with a contiguous share of the functions and the imports it uses.
//
// Why: to learn what each C name is, cgo compiles probes of every name a file uses, several per
// name and most of them deliberately wrong. gcc answers each "undeclared identifier" error with a
// spelling suggestion that scans every name in scope, the probes' own functions included, so the
// time grows with the square of the names in one file: half of a fresh build's gotch compile
// went into the probes of this one file of about 2,500 functions. The split changes no code.
func SplitGenerated(src string, n int) ([]string, error) {
	if n < 1 {
		return nil, fmt.Errorf("split %s into %d files", GeneratedName, n)
	}
	first := strings.Index(src, "\nfunc ")
	if first < 0 {
		return nil, fmt.Errorf("%s: no functions", GeneratedName)
	}
	head, body := src[:first+1], src[first+1:]
	fset := token.NewFileSet()
	hf, err := parser.ParseFile(fset, GeneratedName, head, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("%s: preamble: %w", GeneratedName, err)
	}
	// The preamble's imports other than "C", each on its own line (as gotch writes them), so
	// that a part can leave out one it does not use.
	type imp struct{ line, name string }
	var imps []imp
	for _, is := range hf.Imports {
		path, err := strconv.Unquote(is.Path.Value)
		if err != nil || path == "C" {
			continue
		}
		line := "import " + is.Path.Value + "\n"
		if is.Name != nil || !strings.Contains(head, line) {
			return nil, fmt.Errorf("%s: import %s is not on a line of its own", GeneratedName, is.Path.Value)
		}
		imps = append(imps, imp{line, path[strings.LastIndex(path, "/")+1:]})
	}
	// body starts with "func "; each function runs to the next line that starts one.
	var starts []int
	for i := 0; ; {
		starts = append(starts, i)
		j := strings.Index(body[i+1:], "\nfunc ")
		if j < 0 {
			break
		}
		i += j + 2
	}
	funcs := make([]string, len(starts))
	for k, s := range starts {
		end := len(body)
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		funcs[k] = body[s:end]
	}
	n = min(n, len(funcs))
	out := make([]string, n)
	for k := range n {
		part := strings.Join(funcs[k*len(funcs)/n:(k+1)*len(funcs)/n], "")
		h := head
		for _, im := range imps {
			if !strings.Contains(part, im.name+".") {
				h = strings.Replace(h, im.line, "", 1)
			}
		}
		if !strings.HasSuffix(part, "\n") {
			part += "\n"
		}
		out[k] = h + part
		// Every part must stand alone as Go; the declarations themselves are not rewritten.
		if _, err := parser.ParseFile(fset, fmt.Sprintf("part %d", k), out[k], parser.SkipObjectResolution); err != nil {
			return nil, fmt.Errorf("%s: part %d of %d: %w", GeneratedName, k+1, n, err)
		}
	}
	return out, nil
}

// splitGeneratedIn replaces libtch/c-generated.go in dir with c-generated-NN.go parts.
func splitGeneratedIn(libtch string) error {
	path := filepath.Join(libtch, GeneratedName)
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("split: %w", err)
	}
	parts, err := SplitGenerated(string(src), generatedParts)
	if err != nil {
		return fmt.Errorf("split %s: %w", path, err)
	}
	for k, p := range parts {
		name := filepath.Join(libtch, fmt.Sprintf("c-generated-%02d.go", k))
		if err := os.WriteFile(name, []byte(p), 0o644); err != nil {
			return fmt.Errorf("split: %w", err)
		}
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("split: %w", err)
	}
	return nil
}
