//go:build cgo

package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDataCheckCLUENER(t *testing.T) {
	tests := []struct {
		split              string
		examples, sampled  int
		names, short, kind string
	}{
		{"full", 8, 0, "name", "", "ner"},
		// One sentence per rarest-type stratum; company, name, position and scene are never
		// the rarest type of any fixture sentence.
		{"kshot:1:3", 7, 8, "name", "company", "ner"},
	}
	for _, tc := range tests {
		t.Run(tc.split, func(t *testing.T) {
			code, stdout, stderr := runBench(t, "data", "check", "--task", "cluener", "--data", fixtures, "--split", tc.split)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got struct {
				checkOutput
				Kind string `json:"kind"`
			}
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			tr := got.Files["train"]
			if tr.Examples != tc.examples || tr.SampledFrom != tc.sampled || tr.Labels[tc.names] == 0 || got.Kind != tc.kind {
				t.Errorf("train = %+v, kind %q", tr, got.Kind)
			}
			if _, ok := tr.ShortClasses[tc.short]; tc.short != "" && !ok {
				t.Errorf("short strata %v lack %s", tr.ShortClasses, tc.short)
			}
			if got.Submission != "cluener_predict.json" || len(got.Labels) != 10 || got.Files["test"].Unlabelled != 2 {
				t.Errorf("submission %s, labels %v, test %+v", got.Submission, got.Labels, got.Files["test"])
			}
		})
	}
}

func TestScoreCLUENER(t *testing.T) {
	dir := t.TempDir()
	gold := filepath.Join(fixtures, "cluener_public", "dev.json")
	write := func(content string) string {
		p := filepath.Join(dir, "cluener_predict.json")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Gold: 7 entities. Predicted: 南湖公 for 南湖公园 (wrong span), row 1 exactly, and 《雾港》
	// as a book at the movie's offsets. Exact matches 4 of 6 predicted, 7 gold: P 66.7, R 57.1,
	// F1 8/13. Official (strings per type): name, company, position and book right; scene and
	// movie wrong; 4 of the 6 types present = 66.7.
	pred := write(`{"id": 1, "label": {"company": {"远山集团": [[0, 3]]}, "position": {"总经理": [[5, 7]]}, "name": {"周敏": [[8, 9]]}}}
{"id": 0, "label": {"name": {"刘洋": [[0, 1]]}, "scene": {"南湖公": [[3, 5]]}}}
{"id": 2, "label": {"book": {"《雾港》": [[15, 18]]}}}
`)
	code, stdout, stderr := runBench(t, "score", "--task", "cluener", "--gold", gold, "--pred", pred)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Examples int                `json:"examples"`
		Headline string             `json:"headline"`
		Metrics  map[string]float64 `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	want := map[string]float64{"f1": 800.0 / 13, "precision": 400.0 / 6, "recall": 400.0 / 7, "official_f1": 400.0 / 6}
	for k, v := range want {
		if math.Abs(got.Metrics[k]-v) > 1e-9 {
			t.Errorf("%s = %.4f, want %.4f", k, got.Metrics[k], v)
		}
	}
	if got.Examples != 3 || got.Headline != "f1" || len(got.Metrics) != 4 {
		t.Errorf("report = %+v", got)
	}

	bad := write(`{"id": 0, "label": {"name": {"刘洋": [[0, 2]]}}}` + "\n")
	code, _, stderr = runBench(t, "score", "--task", "cluener", "--gold", gold, "--pred", bad)
	if code != 1 || !strings.Contains(stderr, `cluener_predict.json:1: field "label.name": entity "刘洋" at [0, 2]`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
