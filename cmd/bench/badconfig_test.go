//go:build cgo

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// badConfig is the valid config the config cases edit, one line at a time, so that each
// case knows the line its error must name. Its backbone and data are empty directories: a
// case that wrongly got past validation would fail on them, never pre-train or train.
const badConfig = `backbone: model
data_dir: data
out: res
device: cpu
seeds: [1]
defaults: {epochs: 1}
tasks:
  afqmc: {}
methods:
  fl-tuning: {options: {units: 4}}
settings:
  full: {split: full}
`

// badInput is a command line that must fail cleanly.
type badInput struct {
	name string
	args []string
	code int      // 2 for a usage error
	want []string // in stderr: where (file and line, or the flag or field) and what is wrong
}

// The bad-input corpus: broken configs, bad flag values of every command that takes values,
// and broken results directories and plans. Each must exit non-zero (2 for usage errors)
// with a message that says where the problem is, and never panic.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	cfgDir := filepath.Join(dir, "cfg")
	for _, d := range []string{"model", "data"} {
		mkdir(t, filepath.Join(cfgDir, d))
	}
	t.Setenv("CLUE_BENCH_TEST_EMPTY", "")
	if _, set := os.LookupEnv("CLUE_BENCH_TEST_UNSET"); set {
		t.Fatal("CLUE_BENCH_TEST_UNSET is set; the env-var cases need it unset")
	}

	var cases []badInput
	n := 0
	// config adds a case running `bench <cmd...> -c FILE` on the given config text; "@" in
	// want stands for the config's path.
	config := func(name, text string, cmd []string, code int, want ...string) {
		n++
		path := filepath.Join(cfgDir, "c"+strconv.Itoa(n)+".yaml")
		writeFile(t, path, text)
		for i := range want {
			want[i] = strings.ReplaceAll(want[i], "@", path)
		}
		cases = append(cases, badInput{name: "config/" + name, args: append(append([]string{}, cmd...), "-c", path), code: code, want: want})
	}
	// edit replaces one line of badConfig (or inserts lines, when old ends in a newline).
	edit := func(old, new string) string {
		if !strings.Contains(badConfig, old) {
			t.Fatalf("badConfig has no %q", old)
		}
		return strings.Replace(badConfig, old, new, 1)
	}
	plan, run := []string{"plan"}, []string{"run"}
	slurm, k8s := []string{"slurm", "--bin", "/bin/true"}, []string{"k8s"}

	// The file as a whole.
	config("empty file", "", plan, 1, "@: empty config")
	config("comments only", "# to do\n", run, 1, "@: empty config")
	config("a list", "- afqmc\n- tnews\n", plan, 1, "@:1: want a mapping of keys")
	config("two documents", badConfig+"---\ntasks: {tnews: {}}\n", plan, 1, "@:14: a second YAML document")
	config("unclosed flow mapping", edit("  afqmc: {}", "  afqmc: {epochs: 2"), plan, 1, "@:7: yaml: did not find expected ',' or '}'")
	config("tab indentation", edit("  afqmc: {}", "\tafqmc: {}"), plan, 1, "@:8: yaml: found character that cannot start any token")
	config("duplicate key", edit("device: cpu", "device: cpu\ndevice: auto"), plan, 1, "@:5: mapping key \"device\" already defined at line 4")
	// Unknown keys at every level.
	config("unknown top-level key", edit("device: cpu", "devices: cpu"), plan, 1, "@:4: field devices not found")
	config("unknown key in defaults", edit("defaults: {epochs: 1}", "defaults: {epoch: 1}"), plan, 1, "@:6: field epoch not found")
	config("unknown key in a task", edit("  afqmc: {}", "  afqmc: {learning_rate: 0.1}"), run, 1, "@:8: field learning_rate not found")
	config("unknown key in a task's setting", edit("  afqmc: {}", "  afqmc: {settings: {full: {split: full}}}"), plan, 1, "@:8: field split not found")
	config("unknown key in a task's method", edit("  afqmc: {}", "  afqmc: {methods: {fl-tuning: {options: {units: 8}}}}"), plan, 1, "@:8: field options not found")
	config("unknown key in a method", edit("  fl-tuning: {options: {units: 4}}", "  fl-tuning: {option: {units: 4}}"), plan, 1, "@:10: field option not found")
	config("unknown method option", edit("{options: {units: 4}}", "{options: {unit: 4}}"), slurm, 1, "@:10: method fl-tuning options:", "field unit not found")
	config("unknown key in a setting", edit("  full: {split: full}", "  full: {split: full, fold: 0}"), plan, 1, "@:12: field fold not found")
	// Wrong types.
	config("string for a float", edit("defaults: {epochs: 1}", "defaults: {lr: fast}"), plan, 1, "@:6: cannot unmarshal !!str `fast` into float64")
	config("string for a bool", edit("  afqmc: {}", "  afqmc: {pooler: maybe}"), plan, 1, "@:8: cannot unmarshal !!str `maybe` into bool")
	config("list for tasks", edit("tasks:\n  afqmc: {}", "tasks: [afqmc]"), plan, 1, "@:7: cannot unmarshal !!seq")
	config("scalar for seeds", edit("seeds: [1]", "seeds: 1"), plan, 1, "@:5: cannot unmarshal !!int `1` into []int64")
	config("fraction for an integer", edit("  afqmc: {}", "  afqmc: {max_len: 64.5}"), k8s, 1, "@:8: tasks.afqmc.max_len must be an integer, got 64.5")
	config("fraction for an option", edit("{options: {units: 4}}", "{options: {units: 4.5}}"), plan, 1, "@:10: methods.fl-tuning.options.units must be an integer, got 4.5")
	// Tasks.
	config("unknown task", edit("  afqmc: {}", "  afqmcc: {}"), plan, 1, "@:8: unknown task \"afqmcc\"")
	config("no tasks", edit("tasks:\n  afqmc: {}\n", ""), plan, 1, "@: no tasks")
	config("empty tasks", edit("tasks:\n  afqmc: {}", "tasks: {}"), plan, 1, "@:7: no tasks")
	config("task override of an absent setting", edit("  afqmc: {}", "  afqmc: {settings: {few: {epochs: 2}}}"), plan, 1, "@:8: task afqmc: override for setting \"few\"")
	config("task override of an absent method", edit("  afqmc: {}", "  afqmc: {methods: {fine-tuning: {lr: 0.1}}}"), plan, 1, "@:8: task afqmc: override for method \"fine-tuning\"")
	// Methods and their options.
	config("unknown method", edit("  fl-tuning: {options: {units: 4}}", "  dora: {}"), plan, 1, "@:10: unknown method \"dora\"")
	config("no methods", edit("methods:\n  fl-tuning: {options: {units: 4}}\n", ""), plan, 1, "@: no methods")
	config("options for fine-tuning", edit("  fl-tuning: {options: {units: 4}}", "  fine-tuning: {options: {units: 4}}"), plan, 1, "@:10: method fine-tuning options:")
	config("negative units", edit("{options: {units: 4}}", "{options: {units: -4}}"), plan, 1, "@:10: method fl-tuning options:", "units must be at least 1")
	config("bad p-tuning positions", edit("  fl-tuning: {options: {units: 4}}", "  p-tuning-v2: {options: {positions: sideways}}"), plan, 1, "@:10: method p-tuning-v2 options:", "positions")
	config("nan p-tuning dropout", edit("  fl-tuning: {options: {units: 4}}", "  p-tuning-v2: {options: {dropout: .nan}}"), plan, 1, "@:10: method p-tuning-v2 options:", "dropout")
	// Settings and splits.
	config("unknown split", edit("{split: full}", "{split: half}"), plan, 1, "@:12: setting full:", "\"half\"")
	config("FewCLUE fold out of range", edit("{split: full}", "{split: \"few:9\"}"), plan, 1, "@:12: setting full:", "folds are 0..4")
	config("bad k-shot", edit("{split: full}", "{split: \"kshot:x:1\"}"), plan, 1, "@:12: setting full:", "K must be a positive integer")
	// Seeds.
	config("empty seeds", edit("seeds: [1]", "seeds: []"), run, 1, "@:5: seeds is empty")
	config("duplicate seed", edit("seeds: [1]", "seeds: [1, 2, 1]"), plan, 1, "@:5: seeds[2]: duplicate seed 1")
	config("fractional seed", edit("seeds: [1]", "seeds: [1.5]"), plan, 1, "@:5: seeds[0] must be an integer, got 1.5")
	config("seed not a number", edit("seeds: [1]", "seeds: [one]"), plan, 1, "@:5: cannot unmarshal !!str `one` into int64")
	// Globs.
	config("exclude everything", badConfig+"exclude: [\"*\"]\n", plan, 1, "@:13: include and exclude leave no cells")
	config("include nothing that exists", badConfig+"include: [tnews]\n", plan, 1, "@:13: include and exclude leave no cells")
	config("malformed glob", badConfig+"exclude:\n  - afqmc/*/few\n  - \"afqmc/[\"\n", plan, 1, "@:15: exclude[1] \"afqmc/[\": syntax error in pattern")
	config("glob of too many parts", badConfig+"include: [\"a/b/c/d/e\"]\n", plan, 1, "@:13: include[0] \"a/b/c/d/e\": 5 parts")
	// Numbers: not finite, negative, out of range.
	config("infinite lr", edit("defaults: {epochs: 1}", "defaults: {epochs: 1, lr: .inf}"), run, 1, "@:6: defaults.lr must be a finite number, got +Inf")
	config("infinite clip", edit("  afqmc: {}", "  afqmc: {clip: .inf}"), plan, 1, "@:8: tasks.afqmc.clip must be a finite number, got +Inf")
	config("infinite weight decay", edit("  fl-tuning: {options: {units: 4}}", "  fl-tuning: {weight_decay: .inf}"), plan, 1, "@:10: methods.fl-tuning.weight_decay must be a finite number, got +Inf")
	config("nan lr", edit("  full: {split: full}", "  full: {split: full, lr: .nan}"), plan, 1, "@:12: settings.full.lr must be a finite number, got NaN")
	config("negative lr", edit("  afqmc: {}", "  afqmc: {lr: -1.0e-3}"), plan, 1, "@:8: afqmc/fl-tuning/full: lr must not be negative")
	config("zero batch size", edit("defaults: {epochs: 1}", "defaults: {epochs: 1, batch_size: 0}"), plan, 1, "@:8: afqmc/fl-tuning/full: batch_size must be at least 1")
	config("warmup of 1.5", edit("  afqmc: {}", "  afqmc: {warmup: 1.5}"), plan, 1, "@:8: afqmc/fl-tuning/full: warmup is a fraction in [0, 1)")
	config("no epochs or steps", edit("defaults: {epochs: 1}", "defaults: {epochs: 0}"), plan, 1, "@:8: afqmc/fl-tuning/full: epochs or max_steps must be positive")
	config("negative threads", edit("device: cpu", "device: cpu\nthreads: -2"), plan, 1, "@:5: threads must not be negative")
	config("unknown device", edit("device: cpu", "device: tpu"), run, 1, "@:4: device: \"tpu\": want auto, cpu, cuda or cuda:N")
	// Paths and environment variables.
	config("unset variable", edit("backbone: model", "backbone: ${CLUE_BENCH_TEST_UNSET}"), plan, 1, "@:1: backbone: environment variable CLUE_BENCH_TEST_UNSET is not set")
	config("empty variable", edit("data_dir: data", "data_dir: ${CLUE_BENCH_TEST_EMPTY}/clue"), plan, 1, "@:2: data_dir: environment variable CLUE_BENCH_TEST_EMPTY is empty")
	config("unset variable in out", edit("out: res", "out: ${CLUE_BENCH_TEST_UNSET}/res"), slurm, 1, "@:3: out: environment variable CLUE_BENCH_TEST_UNSET is not set")
	config("missing backbone", edit("backbone: model", "backbone: no-model"), run, 1, "@:1: backbone: stat "+filepath.Join(cfgDir, "no-model")+": no such file or directory")
	writeFile(t, filepath.Join(cfgDir, "data.txt"), "not a directory\n")
	config("data_dir is a file", edit("data_dir: data", "data_dir: data.txt"), run, 1, "@:2: data_dir "+filepath.Join(cfgDir, "data.txt")+": not a directory")
	config("out is a file", edit("out: res", "out: data.txt"), plan, 1, "results "+filepath.Join(cfgDir, "data.txt")+": not a directory")
	cases = append(cases,
		badInput{"config/missing file", []string{"plan", "-c", filepath.Join(dir, "nope.yaml")}, 1, []string{"read config: open " + filepath.Join(dir, "nope.yaml") + ": no such file or directory"}},
		badInput{"config/a directory", []string{"run", "-c", cfgDir}, 1, []string{"read config: read " + cfgDir + ": is a directory"}},
	)

	// Flags: parse errors and values that parse but mean nothing, for every command that
	// takes values. ok is a valid config, so that each case fails on its flag alone.
	ok := filepath.Join(cfgDir, "ok.yaml")
	writeFile(t, ok, badConfig)
	frozen := filepath.Join(dir, "plan.json")
	if code, _, stderr := runBench(t, "plan", "-c", ok, "--freeze", frozen); code != 0 {
		t.Fatalf("plan --freeze: exit %d: %s", code, stderr)
	}
	usage := func(want string, args ...string) {
		cases = append(cases, badInput{name: "flag/" + strings.Join(args, " "), args: args, code: 2, want: []string{want}})
	}
	usage("--limit -1: must be at least 0", "run", "-c", ok, "--limit", "-1")
	usage("--threads -5: must be at least -1", "run", "-c", ok, "--threads", "-5")
	usage("invalid value \"many\" for flag -threads", "run", "-c", ok, "--threads", "many")
	usage("--pretrain-steps -3: must be at least 0", "run", "-c", ok, "--pretrain-steps", "-3")
	usage("--shard \"0/3\"", "run", "-c", ok, "--shard", "0/3")
	usage("--shard \"3/2\"", "run", "-c", ok, "--shard", "3/2")
	usage("--device \"tpu\"", "run", "-c", ok, "--device", "tpu")
	usage("--devices", "run", "-c", ok, "--devices", "0,zero")
	usage("--only \"[\": syntax error in pattern", "run", "-c", ok, "--only", "[")
	usage("--only \"tnews/*\" matches no cell", "plan", "-c", ok, "--only", "tnews/*")
	usage("--only \"\": empty glob", "k8s", "-c", ok, "--only", "")
	usage("--threads -5: must be at least -1", "run-cell", "--plan", frozen, "--index", "0", "--threads", "-5")
	usage("--index must not be negative", "run-cell", "--plan", frozen, "--index", "-1")
	usage("--index 1: plan "+frozen+" has 1 cells", "run-cell", "--plan", frozen, "--index", "1")
	usage("invalid value \"first\" for flag -index", "run-cell", "--plan", frozen, "--index", "first")
	usage("--device \"cuda:x\"", "run-cell", "--plan", frozen, "--index", "0", "--device", "cuda:x")
	usage("--gpus-per-task -1: must not be negative", "slurm", "-c", ok, "--bin", "/bin/true", "--gpus-per-task", "-1")
	usage("--max-parallel -2: must not be negative", "slurm", "-c", ok, "--bin", "/bin/true", "--max-parallel", "-2")
	usage("--time \"25h\"", "slurm", "-c", ok, "--bin", "/bin/true", "--time", "25h")
	usage("--parallelism 0: must be at least 1", "k8s", "-c", ok, "--parallelism", "0")
	usage("--gpus -1: must not be negative", "k8s", "-c", ok, "--gpus", "-1")
	usage("--name \"Bad Name\"", "k8s", "-c", ok, "--name", "Bad Name")
	usage("--retries -1: must not be negative", "k8s", "-c", ok, "--retries", "-1")
	usage("--z -1: must be at least 0", "baseline", "--results", dir, "--out", filepath.Join(dir, "b.json"), "--z", "-1")
	usage("--floor +Inf: must be a finite number", "baseline", "--results", dir, "--out", filepath.Join(dir, "b.json"), "--floor", "Inf")
	usage("--z NaN: must be a finite number", "baseline", "--results", dir, "--out", filepath.Join(dir, "b.json"), "--z", "NaN")
	usage("--scale 0: must be greater than 0", "data", "gen", "--out", filepath.Join(dir, "gen"), "--scale", "0")
	usage("--scale NaN: must be a finite number", "data", "gen", "--out", filepath.Join(dir, "gen"), "--scale", "NaN")
	usage("invalid value \"x\" for flag -seed", "data", "gen", "--out", filepath.Join(dir, "gen"), "--seed", "x")
	usage("unknown task \"bogus\"", "data", "gen", "--out", filepath.Join(dir, "gen"), "--tasks", "afqmc,bogus")
	usage("folds are 0..4", "data", "check", "--task", "afqmc", "--data", fixtures, "--split", "few:9")
	usage("--labels must be at least 1", "params", "--model", "builtin", "--method", "fl-tuning", "--labels", "0")
	usage("--max-len -1: must be at least 0", "embed", "--model", dir, "--max-len", "-1", "text")
	usage("--steps 0: must be at least 1", "pretrain", "--cache", filepath.Join(dir, "cache"), "--steps", "0")
	usage("--lr -0.1: must be greater than 0", "pretrain", "--cache", filepath.Join(dir, "cache"), "--lr", "-0.1")
	usage("--lr NaN: must be a finite number", "pretrain", "--cache", filepath.Join(dir, "cache"), "--lr", "NaN")
	usage("--threads -1: must be at least 0", "pretrain", "--cache", filepath.Join(dir, "cache"), "--threads", "-1")
	usage("--threads -1: must be at least 0", "perf", "--out", filepath.Join(dir, "perf"), "--threads", "-1")
	usage("--reps -2: must be at least 0", "perf", "--out", filepath.Join(dir, "perf"), "--reps", "-2")
	usage("--steps -1: must be at least 0", "perf", "--out", filepath.Join(dir, "perf"), "--steps", "-1")
	usage("--memory-steps 0: must be at least 1", "perf", "--out", filepath.Join(dir, "perf"), "--memory-steps", "0")
	usage("--skip \"everything\"", "perf", "--out", filepath.Join(dir, "perf"), "--skip", "everything")
	usage("--sizes: unknown size \"huge\"", "perf", "--out", filepath.Join(dir, "perf"), "--sizes", "huge")
	usage("--device: name cpu or cuda[:N]", "perf", "--out", filepath.Join(dir, "perf"), "--device", "auto")
	usage("--threads -1: must be at least 0", "version", "--threads", "-1")
	usage("--results "+filepath.Join(dir, "none"), "status", "--results", filepath.Join(dir, "none"))
	usage("unknown list \"things\"", "ls", "things")
	failure := func(want string, args ...string) {
		cases = append(cases, badInput{name: "flag/" + strings.Join(args, " "), args: args, code: 1, want: []string{want}})
	}
	failure("--task: clue: unknown task \"bogus\"", "data", "check", "--task", "bogus", "--data", fixtures)
	failure("--task: clue: unknown task \"bogus\"", "score", "--task", "bogus", "--gold", ok, "--pred", ok)
	failure("--method \"dora\": unknown method", "params", "--model", "builtin", "--method", "dora")
	failure("--set \"units\": want key=value", "params", "--model", "builtin", "--method", "fl-tuning", "--set", "units")
	failure("open "+filepath.Join(dir, "none.jsonl"), "score", "--task", "afqmc", "--gold", filepath.Join(dir, "none.jsonl"), "--pred", ok)
	failure("baseline "+ok, "compare", "--baseline", ok, "--results", dir)
	failure("read plan: open "+filepath.Join(dir, "none.json"), "run-cell", "--plan", filepath.Join(dir, "none.json"), "--index", "0")
	failure("stat "+filepath.Join(dir, "none"), "embed", "--model", filepath.Join(dir, "none"), "text")

	// Results directories and frozen plans.
	key := "afqmc__fl-tuning__full__s1.json"
	resultsDir := func(name string, files map[string]string) string {
		d := filepath.Join(dir, "results", name)
		mkdir(t, filepath.Join(d, "cells"))
		for f, text := range files {
			writeFile(t, filepath.Join(d, "cells", f), text)
		}
		return d
	}
	aFile := filepath.Join(cfgDir, "data.txt")
	corrupt := resultsDir("corrupt", map[string]string{key: "{\"schema\": 1, \"cell\": {\"task\": \"afq"})
	newer := resultsDir("newer", map[string]string{key: `{"schema": 99, "cell": {"task": "afqmc", "method": "fl-tuning", "setting": "full", "seed": 1}, "status": "ok"}`})
	loop := filepath.Join(dir, "results", "loop")
	mkdir(t, loop)
	if err := os.Symlink("cells", filepath.Join(loop, "cells")); err != nil { // unreadable, even as root
		t.Fatal(err)
	}
	cellsFile := filepath.Join(dir, "results", "cells-file")
	mkdir(t, cellsFile)
	writeFile(t, filepath.Join(cellsFile, "cells"), "")
	results := func(name string, code int, want []string, args ...string) {
		cases = append(cases, badInput{name: "results/" + name, args: args, code: code, want: want})
	}
	for _, r := range []struct {
		name, dir string
		want      string
	}{
		{"a file", aFile, aFile},
		{"cells is a file", cellsFile, filepath.Join(cellsFile, "cells")},
		{"unreadable", loop, filepath.Join(loop, "cells") + ": too many levels of symbolic links"},
		{"corrupt result", corrupt, filepath.Join(corrupt, "cells", key) + ": unexpected end of JSON input"},
		{"newer result", newer, filepath.Join(newer, "cells", key) + ": result schema 99, this build reads 1"},
	} {
		if r.dir != corrupt { // planning, status and running set a corrupt result aside instead
			results(r.name+"/plan", 1, []string{r.want}, "plan", "-c", ok, "--out", r.dir)
			results(r.name+"/run", 1, []string{r.want}, "run", "-c", ok, "--out", r.dir)
			results(r.name+"/run-cell", 1, []string{r.want}, "run-cell", "--plan", frozen, "--index", "0", "--out", r.dir)
			results(r.name+"/status", 1, []string{r.want}, "status", "--results", r.dir)
			results(r.name+"/status --plan", 1, []string{r.want}, "status", "--results", r.dir, "--plan", frozen)
		}
		results(r.name+"/report", 1, []string{r.dir}, "report", "--results", r.dir, "--out", filepath.Join(dir, "report"))
		results(r.name+"/baseline", 1, []string{r.dir}, "baseline", "--results", r.dir, "--out", filepath.Join(dir, "b.json"))
		results(r.name+"/compare", 1, []string{r.dir}, "compare", "--baseline", filepath.Join("..", "..", "baselines", "builtin.json"), "--results", r.dir)
	}
	planText, err := os.ReadFile(frozen)
	if err != nil {
		t.Fatal(err)
	}
	writePlan := func(name, text string) string {
		p := filepath.Join(dir, "plans", name+".json")
		mkdir(t, filepath.Dir(p))
		writeFile(t, p, text)
		return p
	}
	var edited map[string]any
	if err := json.Unmarshal(planText, &edited); err != nil {
		t.Fatal(err)
	}
	edited["cells"].([]any)[0].(map[string]any)["seed"] = 7
	editedText, _ := json.Marshal(edited)
	for _, p := range []struct {
		name, text, want string
	}{
		{"truncated", string(planText[:len(planText)/2]), "unexpected end of JSON input"},
		{"garbage", "\x00\x01garbage", "line 1: invalid character"},
		{"empty", "", "unexpected end of JSON input"},
		{"not a plan", `{"cells": []}`, "no schema field"},
		{"newer schema", `{"schema": 2}`, "schema 2, this build reads 1"},
		{"edited cell", string(editedText), "cells[0] (afqmc/fl-tuning/full s7): id"},
	} {
		path := writePlan(p.name, p.text)
		results("plan "+p.name+"/run-cell", 1, []string{"plan " + path + ": ", p.want}, "run-cell", "--plan", path, "--index", "0")
		results("plan "+p.name+"/status", 1, []string{"plan " + path + ": ", p.want}, "status", "--plan", path)
	}

	if len(cases) < 100 {
		t.Fatalf("%d cases; the corpus has shrunk", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBench(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tc.code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			for _, bad := range []string{"panic", "goroutine ", "runtime error", "Exception raised from", "frame #", "terminate called"} {
				if strings.Contains(stdout+stderr, bad) {
					t.Errorf("output contains %q:\n%s%s", bad, stdout, stderr)
				}
			}
		})
	}
	// Nothing above may have written results: every case failed before running a cell.
	if _, err := os.Stat(filepath.Join(cfgDir, "res")); !os.IsNotExist(err) {
		t.Errorf("a failing command created the config's results directory (%v)", err)
	}
}

func mkdir(t *testing.T, d string) {
	t.Helper()
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, p, text string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
