//go:build cgo

package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/scale/fixture"
)

// asBench, set in the environment, makes this test binary behave as the bench binary: --devices
// starts workers by re-running its own executable, which under go test is the test binary.
const asBench = "CLUE_BENCH_TEST_AS_BENCH"

func TestMain(m *testing.M) {
	switch {
	case os.Getenv(heldSignal) == "1":
		reexecWithHeldSignal()
		os.Exit(3)
	case os.Getenv(asMain) == "1":
		main()
	case os.Getenv(asBench) == "1":
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestParseDevices(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"0", []string{"cuda:0"}, ""},
		{"0,1,3", []string{"cuda:0", "cuda:1", "cuda:3"}, ""},
		{"cuda:2, 0", []string{"cuda:2", "cuda:0"}, ""},
		{"cpu,cpu", []string{"cpu", "cpu"}, ""},
		{"0,0", nil, "cuda:0 is listed twice"},
		{"0,cuda:0", nil, "cuda:0 is listed twice"},
		{"gpu0", nil, `"gpu0" is not a GPU number`},
		{"-1", nil, `"-1" is not a GPU number`},
		{"cuda:x", nil, `"cuda:x" is not`},
		{"0,", nil, `"" is not`},
	}
	for _, tc := range tests {
		got, err := parseDevices(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseDevices(%q): error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("parseDevices(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// checkScaleOut writes the tiny matrix and runs its cells (all afqmc/*/full) with bench run
// and the scale-out flags, this test binary standing in for the bench binary so that it can
// start workers. The run must succeed and say each of wants on stderr, and one process over the
// same cells must get the same numbers. It returns the fixture's directory and the scaled-out
// run's stderr.
func checkScaleOut(t *testing.T, flags, wants []string) (dir, stderr string) {
	t.Helper()
	if testing.Short() {
		t.Skip("trains tiny models in worker processes")
	}
	t.Setenv(asBench, "1")
	dir = t.TempDir()
	p, err := fixture.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	two, one := filepath.Join(dir, "two"), filepath.Join(dir, "one")
	args := append(append([]string{"run", "-c", p.Config, "--out", two}, flags...), "--only", "afqmc/*/full")
	code, _, stderr := runBench(t, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s", strings.Join(flags, " "), code, stderr)
	}
	for _, w := range wants {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	if code, _, stderr := runBench(t, "run", "-c", p.Config, "--out", one, "--only", "afqmc/*/full"); code != 0 {
		t.Fatalf("plain run: exit %d\n%s", code, stderr)
	}
	if err := fixture.Compare(two, one); err != nil {
		t.Error(err)
	}
	return dir, stderr
}

// TestRunDevices runs the tiny matrix's cells in one worker process per device, each its own
// half: three cells each, none twice, and the numbers of one process.
func TestRunDevices(t *testing.T) {
	// --threads reaches each device's worker as given.
	dir, _ := checkScaleOut(t, []string{"--devices", "cpu,cpu", "--threads", "1"},
		[]string{"[1 cpu] bench run: 3 ran (0 failed)", "[2 cpu] bench run: 3 ran (0 failed)", "--shard=1/2", "--shard=2/2", "--only=afqmc/*/full", "--threads=1", "worker 1 on cpu (pid "})

	// A failing worker makes the whole run fail.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(fixture.Config, "fl-tuning: {options: {units: 8}}", "fl-tuning: {max_len: 1000, options: {units: 8}}", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runBench(t, "run", "-c", bad, "--out", filepath.Join(dir, "bad"), "--devices", "cpu,cpu")
	if code != 1 || !strings.Contains(stderr, "cpu exit 1") {
		t.Errorf("a failed cell in one worker: exit %d, want 1\n%s", code, stderr)
	}
}

// TestRunWorkers runs the tiny matrix's cells in two CPU worker processes that share the
// cells through their claims: every cell runs exactly once, and the numbers are those of one
// process.
func TestRunWorkers(t *testing.T) {
	_, stderr := checkScaleOut(t, []string{"--workers", "2", "--threads", "2"},
		[]string{"[1] bench run: ", "[2] bench run: ", "--workers=1 --threads=1 --longest-first", "--only=afqmc/*/full", "worker 1 exit 0, worker 2 exit 0"})
	ran := 0
	for _, m := range regexp.MustCompile(`\] bench run: (\d+) ran \(0 failed\)`).FindAllStringSubmatch(stderr, -1) {
		n, _ := strconv.Atoi(m[1])
		ran += n
	}
	if ran != 6 {
		t.Errorf("the workers ran %d cells between them, want each of the 6 once:\n%s", ran, stderr)
	}
}

func TestRunDevicesBadInput(t *testing.T) {
	p, err := fixture.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--devices", "0,0"}, "listed twice"},
		{[]string{"--devices", "0,1", "--shard", "1/2"}, "give neither"},
		{[]string{"--devices", "0,1", "--device", "cpu"}, "give neither"},
		{[]string{"--devices", "0,1", "--workers", "2"}, "nor --workers"},
		{[]string{"--workers", "-2"}, "--workers"},
	}
	for _, tc := range tests {
		code, _, stderr := runBench(t, append([]string{"run", "-c", p.Config}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 with %q\n%s", tc.args, code, tc.want, stderr)
		}
	}
}

// fakeTool puts an executable shell script named name first on the PATH.
func fakeTool(t *testing.T, name, body string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestSlurmCommandAndStatus(t *testing.T) {
	dir := t.TempDir()
	p, err := fixture.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "res")
	// sbatch and squeue stand-ins: the real ones run in make test-slurm.
	fakeTool(t, "sbatch", `[ "$1" = --parsable ] && [ -f "$2" ] && echo "4242;local"`)
	fakeTool(t, "squeue", `case "$4" in
4242) echo "1 RUNNING 4242_1"; echo "2 PENDING 4242_2";;
4243) echo "1 PENDING 4243_1"; echo "2 PENDING 4243_2";;
*) exit 1;;
esac`)
	code, stdout, stderr := runBench(t, "slurm", "-c", p.Config, "--out", out, "--gpus-per-task", "0", "--cpus-per-task", "1",
		"--time", "0:10", "--max-parallel", "2", "--bin", "/opt/bench", "--submit")
	if code != 0 || strings.TrimSpace(stdout) != "4242" {
		t.Fatalf("slurm --submit: exit %d, stdout %q\n%s", code, stdout, stderr)
	}
	script, err := os.ReadFile(filepath.Join(out, "slurm", "array.sbatch"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"#SBATCH --array=0-5%2\n", "#SBATCH --time=0:10:00\n", "--output=" + out + "/slurm/%A_%a.log",
		"exec /opt/bench run-cell --plan " + out + "/plan.json"} {
		if !strings.Contains(string(script), w) {
			t.Errorf("script lacks %q:\n%s", w, script)
		}
	}
	frozen, err := plan.ReadFrozen(filepath.Join(out, "plan.json"))
	if err != nil || len(frozen.Cells) != 6 || frozen.Out != out {
		t.Fatalf("frozen plan: %v %+v", err, frozen)
	}
	if jobs, _ := os.ReadFile(filepath.Join(out, "slurm", "jobs")); string(jobs) != "4242\n" {
		t.Errorf("jobs file: %q", jobs)
	}

	// A resubmitted array (4243) and one squeue no longer knows (4241).
	if err := os.WriteFile(filepath.Join(out, "slurm", "jobs"), []byte("4241\n4242\n4243\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// One cell done, one failed, the rest pending; squeue knows two tasks of each live array,
	// and the running one wins over a newer pending one.
	store, err := results.OpenStore(out)
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range map[int]string{0: results.ResultOK, 3: results.ResultFailed} {
		if err := store.Write(&results.Result{Cell: frozen.Cells[i], Status: st, Error: map[bool]string{true: "out of memory"}[st == results.ResultFailed]}); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr = runBench(t, "status", "--results", out)
	if code != 0 {
		t.Fatalf("status: exit %d\n%s", code, stderr)
	}
	for _, w := range []string{"RUNNING 4242_1", "PENDING 4243_2", "out of memory", "6 cells in " + out + "/plan.json: 1 done, 1 failed, 4 pending"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("status lacks %q:\n%s", w, stdout)
		}
	}

	// Bad flags fail before anything is written.
	for _, args := range [][]string{{"--time", "4h"}, {"--max-parallel", "-1"}} {
		code, _, stderr := runBench(t, append([]string{"slurm", "-c", p.Config, "--out", filepath.Join(dir, "never")}, args...)...)
		if code != 2 || !strings.Contains(stderr, args[0]) {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "never")); err == nil {
		t.Error("a rejected slurm command wrote files")
	}
}

func TestStatusWithoutPlan(t *testing.T) {
	dir := t.TempDir()
	_, frozen := tinyPlan(t)
	store, err := results.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Write(&results.Result{Cell: frozen.Cells[2], Status: results.ResultOK}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := store.Claim(frozen.Cells[4].Key()); !ok {
		t.Fatal("claim failed")
	}
	code, stdout, stderr := runBench(t, "status", "--results", dir)
	if code != 0 || !strings.Contains(stdout, "afqmc/fl-tuning/full") || !strings.Contains(stdout, "1 done, 1 running") {
		t.Errorf("status: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := runBench(t, "status", "--results", filepath.Join(dir, "nope")); code != 2 || !strings.Contains(stderr, "nope") {
		t.Errorf("missing results dir: exit %d\n%s", code, stderr)
	}
}

func TestK8sCommand(t *testing.T) {
	p, err := fixture.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runBench(t, "k8s", "-c", p.Config, "--image", "reg/bench:1", "--parallelism", "3", "--pvc", "res", "--gpus", "2")
	if code != 0 {
		t.Fatalf("k8s: exit %d\n%s", code, stderr)
	}
	dec := yaml.NewDecoder(strings.NewReader(stdout))
	var docs []map[string]any
	for {
		var d map[string]any
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("manifest: %v\n%s", err, stdout)
		}
		docs = append(docs, d)
	}
	if len(docs) != 2 {
		t.Fatalf("%d documents", len(docs))
	}
	spec := docs[1]["spec"].(map[string]any)
	if spec["completions"] != 6 || spec["parallelism"] != 3 || spec["completionMode"] != "Indexed" {
		t.Errorf("job spec: %v", spec)
	}
	// The plan in the ConfigMap is one run-cell reads, with results on the volume.
	planFile := filepath.Join(t.TempDir(), "plan.json")
	data := docs[0]["data"].(map[string]any)["plan.json"].(string)
	if err := os.WriteFile(planFile, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	frozen, err := plan.ReadFrozen(planFile)
	if err != nil || len(frozen.Cells) != 6 || frozen.Out != "/bench/results" {
		t.Errorf("plan in the ConfigMap: %v %+v", err, frozen)
	}
	if !strings.Contains(stderr, "pods read "+p.Model) {
		t.Errorf("no warning about the backbone path:\n%s", stderr)
	}
	if code, _, stderr := runBench(t, "k8s", "-c", p.Config, "--name", "Bad_Name"); code != 2 || !strings.Contains(stderr, "--name") {
		t.Errorf("bad name: exit %d\n%s", code, stderr)
	}
	var buf bytes.Buffer
	if run([]string{"k8s", "-c", p.Config, "-o", filepath.Join(t.TempDir(), "job.yaml")}, &buf, io.Discard) != 0 || buf.Len() != 0 {
		t.Errorf("-o FILE printed the manifest too: %q", buf.String())
	}
}

// TestLongestFirstOrder checks the order CPU workers take cells in: by training tokens,
// largest first, the plan's order among equals, and unreadable data first of all.
func TestLongestFirstOrder(t *testing.T) {
	dir := t.TempDir()
	p, err := fixture.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer("afqmc: {}", "afqmc: {methods: {fl-tuning: {max_steps: 12}, p-tuning-v2: {max_len: 48}}}", "seeds: [1, 2]", "seeds: [1]").Replace(fixture.Config)
	if err := os.WriteFile(p.Config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_, cells, err := loadPlan(p.Config, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	order := func(dataDir string) string {
		cs := append([]plan.Cell(nil), cells...)
		longestFirstOrder(cs, dataDir)
		var names []string
		for _, c := range cs {
			names = append(names, c.Method)
		}
		return strings.Join(names, " ")
	}
	// fine-tuning: 6 steps × 16 × 24; fl-tuning 12 steps (×2), p-tuning-v2 length 48 (×2):
	// equal, so the plan's order (fine-tuning, fl-tuning, p-tuning-v2) decides between them.
	if got, want := order(p.Data), "fl-tuning p-tuning-v2 fine-tuning"; got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	// No data: every cell is "largest" and keeps its place.
	if got, want := order(filepath.Join(dir, "missing")), "fine-tuning fl-tuning p-tuning-v2"; got != want {
		t.Errorf("without data: order %q, want %q", got, want)
	}
}
