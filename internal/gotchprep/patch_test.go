package gotchprep

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const genSample = `// generated

void atg_ok(tensor *out__, tensor self) {
  PROTECT(
    auto outputs__ = torch::ok(*self);
    out__[0] = new torch::Tensor(outputs__);
  )
}

int64_t atg_gone_int(tensor self) {
  PROTECT(
    return torch::gone_int(*self);
  )
  return 0;
}

tensor *atg_gone_list(tensor *tensors_data, int tensors_len) {
  PROTECT(
    auto outputs__ = torch::gone_list(of_carray_tensor(tensors_data, tensors_len));
    return nullptr;
  )
  return nullptr;
}

void atg_gone_void(tensor *out__, tensor self) {
  PROTECT(
    auto outputs__ = torch::gone_void(*self);
    out__[0] = new torch::Tensor(outputs__);
  )
}
`

func TestFailingLines(t *testing.T) {
	out := `In file included from torch_api.cpp:12:
/x/libtch/torch_api_generated.cpp.h:12:12: error: 'gone_int' is not a member of 'torch'
/x/libtch/torch_api_generated.cpp.h:12:20: error: something else on the same line
/usr/include/c10/util/Optional.h:5:3: error: in header
/x/libtch/torch_api_generated.cpp.h:25:5:   required from here
/x/libtch/torch_api_generated.cpp.h:5:1: warning: not an error
`
	got := FailingLines(out)
	if len(got) != 2 || got[0] != 12 || got[1] != 25 {
		t.Fatalf("FailingLines = %v, want [12 25]", got)
	}
}

func TestDisable(t *testing.T) {
	src, names, err := Disable(genSample, []int{12, 19, 27, 28}, "1.13.0")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "atg_gone_int,atg_gone_list,atg_gone_void" {
		t.Fatalf("disabled %v", names)
	}
	for _, want := range []string{
		"int64_t atg_gone_int(tensor self) {\n  torch_last_err = strdup(\"atg_gone_int: not available in libtorch 1.13.0\");\n  return 0;\n}",
		"tensor *atg_gone_list(tensor *tensors_data, int tensors_len) {\n  torch_last_err = strdup(\"atg_gone_list: not available in libtorch 1.13.0\");\n  return nullptr;\n}",
		"void atg_gone_void(tensor *out__, tensor self) {\n  torch_last_err = strdup(\"atg_gone_void: not available in libtorch 1.13.0\");\n}\n",
		"    auto outputs__ = torch::ok(*self);", // untouched wrapper stays
	} {
		if !strings.Contains(src, want) {
			t.Errorf("patched source lacks %q:\n%s", want, src)
		}
	}
	if strings.Contains(src, "gone_int(*self)") || strings.Contains(src, "gone_void(*self)") {
		t.Errorf("failing bodies remain:\n%s", src)
	}
}

func TestDisableOutsideWrapper(t *testing.T) {
	if _, _, err := Disable(genSample, []int{1}, "1.13.0"); err == nil {
		t.Fatal("a failing line outside any wrapper must be an error")
	}
}

// TestPatchedSampleCompiles checks that disabled bodies are valid C++ with the same
// signatures, by compiling the patched sample against minimal stand-ins for gotch's types.
func TestPatchedSampleCompiles(t *testing.T) {
	if _, err := exec.LookPath("g++"); err != nil {
		t.Skip("no g++")
	}
	src, _, err := Disable(genSample, []int{12, 19, 27}, "1.13.0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prelude := `#include <cstring>
#include <cstdint>
namespace torch { struct Tensor {}; inline Tensor ok(Tensor t) { return t; } }
typedef torch::Tensor *tensor;
thread_local char *torch_last_err = nullptr;
inline int of_carray_tensor(tensor*, int) { return 0; }
#define PROTECT(x) try { x } catch (...) {}
`
	f := filepath.Join(dir, "t.cpp")
	if err := os.WriteFile(f, []byte(prelude+src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("g++", "-std=c++17", "-fsyntax-only", f).CombinedOutput(); err != nil {
		t.Fatalf("patched sample does not compile: %v\n%s", err, out)
	}
}

func TestReadVersionAndFind(t *testing.T) {
	dir := t.TempDir()
	api := filepath.Join(dir, "include", "torch", "csrc", "api", "include", "torch")
	if err := os.MkdirAll(api, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(api, "version.h"), []byte("#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION_MINOR 11\n#define TORCH_VERSION_PATCH 0\n"), 0o644)
	if _, err := Find(dir); err == nil || !strings.Contains(err.Error(), "lib") {
		t.Fatalf("missing lib/ must be an error naming it, got %v", err)
	}
	lib := filepath.Join(dir, "lib")
	os.MkdirAll(lib, 0o755)
	os.WriteFile(filepath.Join(lib, "libc10.so"), []byte("xx_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE"), 0o644)
	os.WriteFile(filepath.Join(lib, "libtorch_cuda.so"), nil, 0o644)
	os.WriteFile(filepath.Join(lib, "libc10_cuda.so"), nil, 0o644)
	lt, err := Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	if lt.Version != "2.11.0" || !lt.CXX11ABI || !lt.CUDA || lt.LibDir != lib {
		t.Fatalf("Find = %+v", lt)
	}
	cg := lt.CgoFile()
	for _, want := range []string{"-Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed", "-Wl,-rpath," + lib, "-D_GLIBCXX_USE_CXX11_ABI=1", "-I" + filepath.Join(dir, "include")} {
		if !strings.Contains(cg, want) {
			t.Errorf("lib.go lacks %q:\n%s", want, cg)
		}
	}
	os.WriteFile(filepath.Join(lib, "libc10.so"), []byte("old abi only"), 0o644)
	os.Remove(filepath.Join(lib, "libc10_cuda.so"))
	lt, err = Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	if lt.CXX11ABI || lt.CUDA || strings.Contains(lt.CgoFile(), "cuda") {
		t.Fatalf("old-ABI CPU libtorch detected as %+v", lt)
	}
}

// fakeGotch makes a fake gotch module and a fake compiler that keep Prepare's tests fast (the
// real run is `make gotch`). The compiler fails once, naming line 12, then succeeds (the body
// was replaced); each run appends a line to the returned file and first sleeps delay.
func fakeGotch(t *testing.T, delay string) (Options, string) {
	t.Helper()
	mod := t.TempDir()
	os.MkdirAll(filepath.Join(mod, "libtch"), 0o755)
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module github.com/sugarme/gotch\n"), 0o644)
	os.WriteFile(filepath.Join(mod, "libtch", "lib.go"), []byte("package libtch\n"), 0o444)
	os.WriteFile(filepath.Join(mod, "libtch", "torch_api_generated.cpp.h"), []byte(genSample), 0o444)
	os.WriteFile(filepath.Join(mod, "libtch", GeneratedName), []byte(generatedSample), 0o444)
	os.MkdirAll(filepath.Join(mod, "ts"), 0o755)
	os.WriteFile(filepath.Join(mod, "ts", TensorMethodsName), []byte(methodsSample), 0o444)
	bin := t.TempDir()
	runs, cxx := filepath.Join(bin, "runs"), filepath.Join(bin, "fakecxx")
	script := "#!/bin/sh\necho run >> " + runs + "\nsleep " + delay + "\nfor a; do f=$a; done\nif grep -q 'gone_int(\\*self)' \"$(dirname $f)/torch_api_generated.cpp.h\"; then echo \"$(dirname $f)/torch_api_generated.cpp.h:12:5: error: no gone_int\"; exit 1; fi\n"
	if err := os.WriteFile(cxx, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	o := Options{ModuleDir: mod, GotchVersion: "v0.9.1", Libtorch: &Libtorch{Root: "/fake", Version: "1.13.0", LibDir: "/fake/lib"}, CXX: cxx}
	return o, runs
}

// compilerRuns counts the fake compiler's runs so far.
func compilerRuns(t *testing.T, runs string) int {
	b, err := os.ReadFile(runs)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Count(string(b), "run\n")
}

func TestPrepareIsIdempotent(t *testing.T) {
	o, _ := fakeGotch(t, "0")
	out := filepath.Join(t.TempDir(), "gotch")
	o.OutDir = out
	s, did, err := Prepare(o)
	if err != nil || !did {
		t.Fatalf("first Prepare: did=%v err=%v", did, err)
	}
	if len(s.Disabled) != 1 || s.Disabled[0] != "atg_gone_int" {
		t.Fatalf("disabled %v", s.Disabled)
	}
	if b, _ := os.ReadFile(filepath.Join(out, DisabledListName)); string(b) != "atg_gone_int\n" {
		t.Fatalf("list file %q", b)
	}
	// c-generated.go is replaced by its parts (SplitGenerated).
	if _, err := os.Stat(filepath.Join(out, "libtch", GeneratedName)); !os.IsNotExist(err) {
		t.Errorf("%s is still in the copy (%v)", GeneratedName, err)
	}
	if parts, _ := filepath.Glob(filepath.Join(out, "libtch", "c-generated-*.go")); len(parts) != 3 {
		t.Errorf("parts %v, want 3 (one per function of the sample)", parts)
	}
	// The Tensor methods free their result's block (FreeReturnSlots).
	if b, _ := os.ReadFile(filepath.Join(out, "ts", TensorMethodsName)); !strings.Contains(string(b), "defer C.free(unsafe.Pointer(ptr))") {
		t.Errorf("%s not patched:\n%s", TensorMethodsName, b)
	}
	if _, did, err := Prepare(o); err != nil || did {
		t.Fatalf("second Prepare with the same libtorch must be a no-op: did=%v err=%v", did, err)
	}
	o.Libtorch = &Libtorch{Root: "/other", Version: "2.1.0", LibDir: "/other/lib"}
	if _, did, err := Prepare(o); err != nil || !did {
		t.Fatalf("a different libtorch must regenerate: did=%v err=%v", did, err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "libtch", "lib.go")); !strings.Contains(string(b), "/other/lib") {
		t.Fatalf("lib.go not regenerated:\n%s", b)
	}
}

// Copies for two libtorches get their own directories in the shared root and both stay
// current: switching LIBTORCH back and forth prepares nothing again.
func TestKeyedDirsLiveSideBySide(t *testing.T) {
	root := t.TempDir()
	a, runs := fakeGotch(t, "0")
	b := a
	b.Libtorch = &Libtorch{Root: "/other", Version: "2.1.0", LibDir: "/other/lib"}
	a.OutDir, b.OutDir = KeyedDir(root, a), KeyedDir(root, b)
	if a.OutDir == b.OutDir || filepath.Dir(a.OutDir) != root || !strings.HasPrefix(filepath.Base(a.OutDir), "v0.9.1-"+Fingerprint(a)) {
		t.Fatalf("keyed dirs %s and %s, want distinct v0.9.1-<fingerprint> directories in %s", a.OutDir, b.OutDir, root)
	}
	for _, o := range []Options{a, b} {
		if _, did, err := Prepare(o); err != nil || !did {
			t.Fatalf("first Prepare in %s: did=%v err=%v", o.OutDir, did, err)
		}
	}
	n := compilerRuns(t, runs)
	for _, o := range []Options{a, b, a} {
		if _, did, err := Prepare(o); err != nil || did {
			t.Fatalf("Prepare of the current copy in %s: did=%v err=%v, want a no-op", o.OutDir, did, err)
		}
		if lib, _ := os.ReadFile(filepath.Join(o.OutDir, "libtch", "lib.go")); !strings.Contains(string(lib), o.Libtorch.LibDir) {
			t.Fatalf("%s: lib.go does not name %s:\n%s", o.OutDir, o.Libtorch.LibDir, lib)
		}
	}
	if got := compilerRuns(t, runs); got != n {
		t.Fatalf("the compiler ran %d more times for copies that were current", got-n)
	}
}

// Two preparers of one copy at once (two checkouts, two make runs): one prepares, the other
// waits and takes its copy; a reader never finds a stamp in a half-made copy, and no
// temporary directory is left behind.
func TestConcurrentPrepare(t *testing.T) {
	o, runs := fakeGotch(t, "0.3")
	root := t.TempDir()
	o.OutDir = KeyedDir(root, o)
	type result struct {
		s   *Stamp
		did bool
		err error
	}
	results := make(chan result, 2)
	start := make(chan struct{})
	for range 2 {
		go func() {
			<-start
			s, did, err := Prepare(o)
			results <- result{s, did, err}
		}()
	}
	close(start)
	var got []result
	for len(got) < 2 {
		select {
		case r := <-results:
			got = append(got, r)
		default:
			if ReadStamp(o.OutDir) != nil {
				if _, err := os.Stat(filepath.Join(o.OutDir, DisabledListName)); err != nil {
					t.Fatalf("a stamped copy lacks its wrapper list: %v", err)
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	prepared := 0
	for _, r := range got {
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.did {
			prepared++
		}
		if r.s.Fingerprint != Fingerprint(o) {
			t.Fatalf("stamp fingerprint %s, want %s", r.s.Fingerprint, Fingerprint(o))
		}
	}
	// One preparation runs the compiler twice: the failing check and the clean one.
	if n := compilerRuns(t, runs); prepared != 1 || n != 2 {
		t.Fatalf("%d of 2 concurrent Prepare calls prepared, compiler ran %d times; want 1 and 2", prepared, n)
	}
	entries, _ := os.ReadDir(root)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	base := filepath.Base(o.OutDir)
	if strings.Join(names, " ") != base+" "+base+".lock" {
		t.Fatalf("cache root holds %v, want only the copy and its lock", names)
	}
}

// A copy whose stamp is missing or unreadable is prepared again, and the temporary directory
// of a preparer that was killed is removed.
func TestPrepareRedoesBadStamp(t *testing.T) {
	o, _ := fakeGotch(t, "0")
	o.OutDir = KeyedDir(t.TempDir(), o)
	if _, _, err := Prepare(o); err != nil {
		t.Fatal(err)
	}
	stamp := filepath.Join(o.OutDir, stampName)
	stale := o.OutDir + ".tmp-12345"
	for _, damage := range []func() error{
		func() error { return os.WriteFile(stamp, []byte("{"), 0o644) },
		func() error { return os.Remove(stamp) },
		func() error { return os.WriteFile(stamp, []byte(`{"fingerprint":"0000"}`), 0o644) },
	} {
		if err := damage(); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(stale, 0o755)
		s, did, err := Prepare(o)
		if err != nil || !did {
			t.Fatalf("Prepare over a bad stamp: did=%v err=%v, want a new copy", did, err)
		}
		if r := ReadStamp(o.OutDir); r == nil || r.Fingerprint != s.Fingerprint {
			t.Fatalf("stamp after re-preparing: %+v", r)
		}
		for _, gone := range []string{stale, o.OutDir + ".old"} {
			if _, err := os.Stat(gone); !os.IsNotExist(err) {
				t.Fatalf("%s left behind (stat: %v)", gone, err)
			}
		}
	}
}

// A cache root that cannot be created is an error naming it.
func TestPrepareUnwritableRoot(t *testing.T) {
	o, _ := fakeGotch(t, "0")
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	root := filepath.Join(file, "gotch")
	o.OutDir = KeyedDir(root, o)
	if _, _, err := Prepare(o); err == nil || !strings.Contains(err.Error(), root) {
		t.Fatalf("Prepare under %s: %v, want an error naming it", root, err)
	}
}
