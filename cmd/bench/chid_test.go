//go:build cgo

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScoreCHID(t *testing.T) {
	pred := filepath.Join(t.TempDir(), "chid11_predict.json")
	// dev_answer.json: 000011 → 3, 000012 → 6, 000013 → 0.
	if err := os.WriteFile(pred, []byte(`{"#idiom000011#": 3, "#idiom000012#": 1, "#idiom000013#": 0}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runBench(t, "score", "--task", "chid", "--gold", filepath.Join(fixtures, "chid_public", "dev.json"), "--pred", pred)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`"accuracy": 66.66666666666667`, `"assignment_accuracy": 66.66666666666667`, `"examples": 3`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %s:\n%s", want, stdout)
		}
	}
	code, stdout, _ = runBench(t, "data", "check", "--task", "chid", "--data", fixtures, "--split", "few:all")
	if code != 0 || !strings.Contains(stdout, `"submission": "chidf_predict.json"`) || !strings.Contains(stdout, `"examples": 10`) {
		t.Errorf("data check: exit %d\n%s", code, stdout)
	}
}
