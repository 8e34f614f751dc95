package codecheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Library code (every package but main) reports failures as errors; only a command decides to
// exit. A gotch Must* function calls log.Fatal or panics on a libtorch error, which would end a
// whole benchmark run (and every cell still queued in it) over one cell's bad input, so library
// code calls the error-returning forms. The check below lists, as file:line, every call of a
// function or method named Must… and every log.Fatal…, log.Panic…, os.Exit and panic in the
// non-test files of the module outside package main, build/ and testdata/.
//
// The allow-list:
//   - regexp.MustCompile, regexp.MustCompilePOSIX and template.Must in a package-level
//     declaration: the pattern or template is a constant of the program, checked when the
//     package initialises, before any work starts.
//   - panic inside the init-time registration functions listed in registrations: they run from
//     init functions and reject a duplicate (or malformed) name, a programming error that must
//     stop the binary before it starts rather than surface later as a wrong run.

// registrations are the functions that may panic, as directory (relative to the module root,
// slash-separated) "." function name.
var registrations = map[string]bool{
	"methods.Register":           true, // a method name registered twice, or not lower-case-with-dashes
	"heads.Register":             true, // a task kind registered twice, or without a name or prefix
	"clue.Register":              true, // a task registered twice, or an invalid declaration
	"clue.registerMetric":        true, // a metric registered twice
	"clue.registerExampleMetric": true, // a metric's per-example statistics registered twice
}

// packageLevelMust are the Must functions allowed in package-level declarations, by import path.
var packageLevelMust = map[string]map[string]bool{
	"regexp":        {"MustCompile": true, "MustCompilePOSIX": true},
	"text/template": {"Must": true},
	"html/template": {"Must": true},
}

var mustName = regexp.MustCompile(`^Must([A-Z0-9_]|$)`)

// check returns a finding for every forbidden call in f, a file of the package in directory dir
// (relative to the module root, slash-separated).
func check(fset *token.FileSet, dir string, f *ast.File) []string {
	imports := map[string]string{} // local name → import path
	for _, im := range f.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = path
	}
	var out []string
	report := func(n ast.Node, format string, args ...any) {
		p := fset.Position(n.Pos())
		out = append(out, fmt.Sprintf("%s:%d: %s", p.Filename, p.Line, fmt.Sprintf(format, args...)))
	}
	// Files are walked in order and a file's findings come in source order.
	// fn is the enclosing top-level function or method ("" at package level).
	var walk func(n ast.Node, fn string)
	walk = func(n ast.Node, fn string) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if fn == "" && n.Body != nil {
					name := n.Name.Name
					if n.Recv != nil && len(n.Recv.List) == 1 {
						name = exprString(n.Recv.List[0].Type) + "." + name
					}
					walk(n.Body, name)
					return false
				}
			case *ast.CallExpr:
				switch fun := n.Fun.(type) {
				case *ast.Ident:
					switch {
					case fun.Name == "panic" && fun.Obj == nil:
						if !registrations[dir+"."+fn] {
							report(n, "panic")
						}
					case mustName.MatchString(fun.Name):
						report(n, "%s", fun.Name)
					}
				case *ast.SelectorExpr:
					name := fun.Sel.Name
					var pkg string
					if id, ok := fun.X.(*ast.Ident); ok && id.Obj == nil {
						pkg = imports[id.Name]
					}
					switch {
					case pkg == "log" && (strings.HasPrefix(name, "Fatal") || strings.HasPrefix(name, "Panic")):
						report(n, "log.%s", name)
					case pkg == "os" && name == "Exit":
						report(n, "os.Exit")
					case mustName.MatchString(name):
						if fn == "" && packageLevelMust[pkg][name] {
							break
						}
						report(n, "%s", exprString(fun))
					}
				}
			}
			return true
		})
	}
	for _, d := range f.Decls {
		walk(d, "")
	}
	return out
}

// exprString renders a call's function as written (x.MustDrop, ts.MustOfSlice).
func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	case *ast.CallExpr:
		return exprString(e.Fun) + "(…)"
	case *ast.IndexExpr:
		return exprString(e.X) + "[…]"
	case *ast.StarExpr:
		return "*" + exprString(e.X)
	case *ast.ParenExpr:
		return "(" + exprString(e.X) + ")"
	}
	return "…"
}

// moduleRoot is the directory of the go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// TestLibraryCodeNeverExits scans the module's library code.
func TestLibraryCodeNeverExits(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	var findings []string
	files := 0
	err := walkSources(root, func(rel, path string) error {
		f, err := parser.ParseFile(fset, rel, readFile(t, path), 0)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			return nil
		}
		files++
		findings = append(findings, check(fset, filepath.ToSlash(filepath.Dir(rel)), f)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatalf("no library files found under %s", root)
	}
	if len(findings) > 0 {
		t.Errorf("%d calls that exit or panic in library code (use the error-returning form and return the error; see this file for what is allowed):\n%s",
			len(findings), strings.Join(findings, "\n"))
	}
}

// walkSources calls fn for every non-test .go file of the module under root (rel is its
// slash-separated path from root), skipping build outputs, testdata, vendored, hidden and
// underscore folders and nested modules.
func walkSources(root string, fn func(rel, path string) error) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (rel == "build" || name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if rel != "." {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		return fn(rel, path)
	})
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckerFinds runs the check on a sample holding each forbidden and each allowed form.
func TestCheckerFinds(t *testing.T) {
	const src = `package methods

import (
	"log"
	"os"
	re "regexp"
	"text/template"
)

var ok = re.MustCompile("a")           // allowed: package level
var tmpl = template.Must(nil, nil)     // allowed: package level
var bad = x.MustSize()                 // line 12: not an allowed Must

func Register() { panic("duplicate") } // allowed: a listed registration

func f(x T) {
	x.MustDrop()             // line 17
	_ = re.MustCompile("b")  // line 18: inside a function
	log.Fatal("x")           // line 19
	log.Fatalf("x")          // line 20
	log.Panicln("x")         // line 21
	os.Exit(1)               // line 22
	panic("x")               // line 23
	MustLocal()              // line 24
	go func() { panic(1) }() // line 25
	x.Mustard()              // not Must…: allowed
	x.Drop()                 // allowed
	log.Printf("x")          // allowed
}

func (T) Register() {
	panic("x") // line 32: a method of the same name is not the registration function
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "sample.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := check(fset, "methods", f) // as if it were methods/sample.go
	want := []string{
		"sample.go:12: x.MustSize",
		"sample.go:17: x.MustDrop",
		"sample.go:18: re.MustCompile",
		"sample.go:19: log.Fatal",
		"sample.go:20: log.Fatalf",
		"sample.go:21: log.Panicln",
		"sample.go:22: os.Exit",
		"sample.go:23: panic",
		"sample.go:24: MustLocal",
		"sample.go:25: panic",
		"sample.go:32: panic",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPackageDocsInDocGo keeps every package's comment in its doc.go, where a reader looks
// first, and nowhere else: it says what the package holds and how data moves through it.
func TestPackageDocsInDocGo(t *testing.T) {
	root := moduleRoot(t)
	docs := map[string][]string{} // directory → files with a package comment
	pkgs := map[string]bool{}
	err := walkSources(root, func(rel, path string) error {
		f, err := parser.ParseFile(token.NewFileSet(), rel, readFile(t, path), parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		pkgs[dir] = true
		if f.Doc != nil {
			docs[dir] = append(docs[dir], filepath.Base(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir := range pkgs {
		if got := docs[dir]; len(got) != 1 || got[0] != "doc.go" {
			t.Errorf("%s: package comment in %v, want it in doc.go alone", dir, got)
		}
	}
}
