package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtures are the clue package's own test files (invented sentences in the official layouts).
var fixtures = filepath.Join("..", "..", "clue", "testdata")

type checkOutput struct {
	Task      string   `json:"task"`
	Selection string   `json:"selection"`
	Dir       string   `json:"dir"`
	Labels    []string `json:"labels"`
	Files     map[string]struct {
		Path         string         `json:"path"`
		Missing      bool           `json:"missing"`
		Examples     int            `json:"examples"`
		Unlabelled   int            `json:"unlabelled"`
		Dropped      int            `json:"dropped"`
		DropReasons  map[string]int `json:"drop_reasons"`
		Labels       map[string]int `json:"labels"`
		SampledFrom  int            `json:"sampled_from"`
		ShortClasses map[string]int `json:"short_classes"`
	} `json:"files"`
	Submission string `json:"submission"`
}

func runBench(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDataCheck(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, got checkOutput)
	}{
		{"afqmc full", []string{"--task", "afqmc", "--data", fixtures}, func(t *testing.T, got checkOutput) {
			tr := got.Files["train"]
			if tr.Examples != 8 || tr.Labels["0"] != 5 || tr.Labels["1"] != 3 || tr.Path != filepath.Join(fixtures, "afqmc_public", "train.json") {
				t.Errorf("train = %+v", tr)
			}
			if te := got.Files["test"]; te.Examples != 3 || te.Unlabelled != 3 || te.Missing {
				t.Errorf("test = %+v", te)
			}
			if got.Dir != filepath.Join(fixtures, "afqmc_public") || got.Selection != "full" || got.Submission != "afqmc_predict.json" {
				t.Errorf("dir %s selection %s submission %s", got.Dir, got.Selection, got.Submission)
			}
		}},
		{"ocnli dropped rows", []string{"--task", "ocnli", "--data", fixtures, "--split", "full"}, func(t *testing.T, got checkOutput) {
			dev := got.Files["dev"]
			if dev.Examples != 2 || dev.Dropped != 1 || dev.DropReasons[`label "-"`] != 1 {
				t.Errorf("dev = %+v", dev)
			}
			if len(got.Labels) != 3 {
				t.Errorf("labels = %v", got.Labels)
			}
		}},
		{"few fold", []string{"--task", "tnews", "--data", fixtures, "--split", "few:all"}, func(t *testing.T, got checkOutput) {
			if got.Files["train"].Examples != 6 || got.Files["test"].Path != filepath.Join(fixtures, "tnews", "test_public.json") {
				t.Errorf("files = %+v", got.Files)
			}
			if got.Submission != "tnewsf_predict.json" {
				t.Errorf("submission = %s", got.Submission)
			}
		}},
		{"kshot", []string{"--task", "afqmc", "--data", fixtures, "--split", "kshot:4:9"}, func(t *testing.T, got checkOutput) {
			tr := got.Files["train"]
			if tr.Examples != 7 || tr.SampledFrom != 8 || tr.ShortClasses["1"] != 3 || got.Selection != "kshot:4:9" {
				t.Errorf("train = %+v", tr)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBench(t, append([]string{"data", "check"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr: %s", code, stderr)
			}
			var got checkOutput
			dec := json.NewDecoder(strings.NewReader(stdout))
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
			}
			if dec.More() {
				t.Errorf("stdout holds more than one JSON value:\n%s", stdout)
			}
			tc.check(t, got)
		})
	}
}

func TestDataCheckFailures(t *testing.T) {
	broken := t.TempDir()
	dir := filepath.Join(broken, "afqmc_public")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"train.json": `{"sentence1": "甲", "sentence2": "乙", "label": "0"}` + "\n" + `{"sentence1": "甲", "label": "1"}` + "\n",
		"dev.json":   `{"sentence1": "甲", "sentence2": "乙", "label": "0"}` + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"broken fixture", []string{"--task", "afqmc", "--data", broken}, 1,
			filepath.Join(dir, "train.json") + `:2: field "sentence2": missing`},
		{"unknown task", []string{"--task", "tnew", "--data", fixtures}, 1, `did you mean "tnews"`},
		{"no such folder", []string{"--task", "afqmc", "--data", t.TempDir()}, 1, "none of"},
		{"few on a CLUE-only task", []string{"--task", "afqmc", "--data", fixtures, "--split", "few:0"}, 1, "not in FewCLUE"},
		{"missing --task", []string{"--data", fixtures}, 2, "--task is required"},
		{"missing --data", []string{"--task", "afqmc"}, 2, "--data is required"},
		{"bad split", []string{"--task", "afqmc", "--data", fixtures, "--split", "few:9"}, 2, "folds are 0..4"},
		{"unknown flag", []string{"--tsk", "afqmc"}, 2, "flag provided but not defined"},
		{"stray argument", []string{"--task", "afqmc", "--data", fixtures, "extra"}, 2, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBench(t, append([]string{"data", "check"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr: %s)", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.stderr)
			}
			if stdout != "" {
				t.Errorf("stdout should be empty on failure, got %q", stdout)
			}
		})
	}
}

func TestScoreCommand(t *testing.T) {
	tmp := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	afqmcDev := filepath.Join(fixtures, "afqmc_public", "dev.json") // labels 1, 0, 1; ids are line indices
	ocnliDev := filepath.Join(fixtures, "ocnli_public", "dev.json") // ids 0..2, id 1 labelled "-"

	t.Run("metrics", func(t *testing.T) {
		// Order differs from the gold file: matching is by id. Accuracy 2/3; macro-F1 over
		// "0" (F1 0) and "1" (TP 2, FP 1: F1 0.8) = 40.
		pred := write("afqmc_predict.json", "{\"id\": 2, \"label\": \"1\"}\n{\"id\": 0, \"label\": \"1\"}\n{\"id\": 1, \"label\": \"1\"}\n")
		code, stdout, stderr := runBench(t, "score", "--task", "afqmc", "--gold", afqmcDev, "--pred", pred)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var got struct {
			Examples       int                `json:"examples"`
			Headline       string             `json:"headline"`
			Metrics        map[string]float64 `json:"metrics"`
			HigherIsBetter map[string]bool    `json:"higher_is_better"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		if got.Examples != 3 || got.Headline != "accuracy" || !got.HigherIsBetter["macro_f1"] ||
			math.Abs(got.Metrics["accuracy"]-200.0/3) > 1e-9 || math.Abs(got.Metrics["macro_f1"]-40) > 1e-9 {
			t.Errorf("report = %+v", got)
		}
	})
	t.Run("prediction for a dropped row is ignored", func(t *testing.T) {
		pred := write("ocnli.json", "{\"id\": 0, \"label\": \"entailment\"}\n{\"id\": 1, \"label\": \"neutral\"}\n{\"id\": 2, \"label\": \"neutral\"}\n")
		code, stdout, stderr := runBench(t, "score", "--task", "ocnli", "--gold", ocnliDev, "--pred", pred)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, `"ignored_dropped": 1`) || !strings.Contains(stdout, `"accuracy": 50`) {
			t.Errorf("stdout = %s", stdout)
		}
	})

	failures := []struct {
		name, pred, gold, want string
	}{
		{"missing id", "{\"id\": 0, \"label\": \"1\"}\n{\"id\": 1, \"label\": \"1\"}\n", afqmcDev, "1 gold ids have no prediction (ids 2)"},
		{"extra id", "{\"id\": 0, \"label\": \"1\"}\n{\"id\": 1, \"label\": \"1\"}\n{\"id\": 2, \"label\": \"1\"}\n{\"id\": 9, \"label\": \"1\"}\n", afqmcDev, "1 predicted ids are not in"},
		{"unknown label", "{\"id\": 0, \"label\": \"yes\"}\n", afqmcDev, `:1: field "label": unknown label "yes"`},
		{"unlabelled gold", "{\"id\": 0, \"label\": \"1\"}\n", filepath.Join(fixtures, "afqmc_public", "test.json"), `test.json:1: field "label": missing`},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			pred := write(strings.ReplaceAll(tc.name, " ", "_")+".json", tc.pred)
			code, stdout, stderr := runBench(t, "score", "--task", "afqmc", "--gold", tc.gold, "--pred", pred)
			if code != 1 || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, stdout, stderr, tc.want)
			}
		})
	}
}
