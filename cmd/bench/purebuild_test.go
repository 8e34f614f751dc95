//go:build cgo

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildWithoutCgo builds bench with CGO_ENABLED=0, as on a laptop without libtorch, and
// checks that what it offers there gives the same answers as this (libtorch) build: the plan
// with its cell ids, the registries, parameter accounting and reports of copied results. Its
// libtorch commands must say why they are missing.
func TestBuildWithoutCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a second binary")
	}
	exe := filepath.Join(t.TempDir(), "bench-nocgo")
	build := exec.Command("go", "build", "-o", exe, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	pure := func(args ...string) (string, string, int) {
		cmd := exec.Command(exe, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	here := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		return out.String(), errb.String(), code
	}

	res := writeResults(t, map[string][]float64{"fl-tuning": {73, 74, 75.5}, "p-tuning-v2": {69, 70, 71}})
	for _, args := range [][]string{
		{"plan", "-c", "../../experiments.yaml", "--json"},
		{"plan", "-c", "../../extra.yaml", "--only", "c3/*"},
		{"ls", "tasks"},
		{"ls", "methods"},
		{"params", "--method", "fl-tuning", "--model", "builtin"},
		{"params", "--method", "p-tuning-v2", "--set", "prefix_len=32", "--model", "builtin"},
		{"status", "--results", res},
		{"plan", "-c", "../../no-such.yaml"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			po, pe, pc := pure(args...)
			ho, he, hc := here(args...)
			if po != ho || pe != he || pc != hc {
				t.Errorf("without cgo: exit %d\n%s%s\nwith libtorch: exit %d\n%s%s", pc, po, pe, hc, ho, he)
			}
		})
	}

	// Reports of results copied off a cluster: the same tables from either build.
	outP, outH := filepath.Join(t.TempDir(), "p"), filepath.Join(t.TempDir(), "h")
	po, pe, pc := pure("report", "--results", res, "--out", outP)
	ho, he, hc := here("report", "--results", res, "--out", outH)
	if pc != 0 || hc != 0 || po != ho {
		t.Errorf("report without cgo: exit %d %s%s\nwith libtorch: exit %d %s%s", pc, po, pe, hc, ho, he)
	}
	for _, f := range []string{"tables.md", "results.csv", "tables.tex"} {
		a, errA := os.ReadFile(filepath.Join(outP, f))
		b, errB := os.ReadFile(filepath.Join(outH, f))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("report %s differs between the builds (%v, %v)", f, errA, errB)
		}
	}

	_, stderr, code := pure("run", "-c", "../../experiments.yaml")
	if code != 1 || !strings.Contains(stderr, "bench run: this bench was built without cgo") {
		t.Errorf("run without libtorch: exit %d, %q", code, stderr)
	}
	if out, _, code := pure("version"); code != 0 || !strings.Contains(out, "CGO_ENABLED=0") {
		t.Errorf("version without libtorch: exit %d, %q", code, out)
	}
}
