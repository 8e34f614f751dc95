//go:build cgo

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDataCheckAndScoreC3(t *testing.T) {
	code, stdout, stderr := runBench(t, "data", "check", "--task", "c3", "--data", fixtures)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got checkOutput
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if tr := got.Files["train"]; tr.Examples != 6 || !strings.Contains(tr.Path, "d-train.json+") || got.Submission != "c311_predict.json" {
		t.Errorf("train %+v, submission %s", tr, got.Submission)
	}

	// m-dev.json: two questions of document m2-1, answers 银杏树 (index 1) and 金黄色 (2).
	pred := filepath.Join(t.TempDir(), "c311_predict.json")
	if err := os.WriteFile(pred, []byte("{\"id\": \"m2-1-1\", \"label\": \"2\"}\n{\"id\": \"m2-1-0\", \"label\": \"0\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runBench(t, "score", "--task", "c3", "--gold", filepath.Join(fixtures, "c3_public", "m-dev.json"), "--pred", pred)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"accuracy": 50`) || !strings.Contains(stdout, `"examples": 2`) {
		t.Errorf("stdout = %s", stdout)
	}
}
