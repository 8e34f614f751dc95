package gotchprep

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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

func TestPrepareIsIdempotent(t *testing.T) {
	// A fake module and a fake compiler keep this test fast; the real run is `make gotch`.
	mod := t.TempDir()
	os.MkdirAll(filepath.Join(mod, "libtch"), 0o755)
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module github.com/sugarme/gotch\n"), 0o644)
	os.WriteFile(filepath.Join(mod, "libtch", "lib.go"), []byte("package libtch\n"), 0o444)
	os.WriteFile(filepath.Join(mod, "libtch", "torch_api_generated.cpp.h"), []byte(genSample), 0o444)
	cxx := filepath.Join(t.TempDir(), "fakecxx")
	// Fails once, naming line 12, then succeeds (the body was replaced).
	script := "#!/bin/sh\nfor a; do f=$a; done\nif grep -q 'gone_int(\\*self)' \"$(dirname $f)/torch_api_generated.cpp.h\"; then echo \"$(dirname $f)/torch_api_generated.cpp.h:12:5: error: no gone_int\"; exit 1; fi\n"
	os.WriteFile(cxx, []byte(script), 0o755)
	out := filepath.Join(t.TempDir(), "gotch")
	o := Options{ModuleDir: mod, GotchVersion: "v0.9.1", OutDir: out, Libtorch: &Libtorch{Root: "/fake", Version: "1.13.0", LibDir: "/fake/lib"}, CXX: cxx}
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
