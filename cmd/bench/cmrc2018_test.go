//go:build cgo

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScoreCMRC2018(t *testing.T) {
	gold := filepath.Join(fixtures, "cmrc2018_public", "dev.json")
	pred := filepath.Join(t.TempDir(), "cmrc2018_predict.json")
	// 八十公里 matches one of three gold answers exactly; 明朝 shares 明 with 明代 (F1 0.5).
	if err := os.WriteFile(pred, []byte(`{"DEV_1_QUERY_0": "八十公里", "DEV_1_QUERY_1": "明朝"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runBench(t, "score", "--task", "cmrc2018", "--gold", gold, "--pred", pred)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`"em": 50`, `"f1": 75`, `"headline": "em"`, `"examples": 2`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %s:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = runBench(t, "data", "check", "--task", "cmrc2018", "--data", fixtures, "--split", "kshot:3:1")
	if code != 0 || !strings.Contains(stdout, `"examples": 3`) || !strings.Contains(stdout, `"sampled_from": 4`) {
		t.Errorf("data check: exit %d %s\n%s", code, stderr, stdout)
	}
}
