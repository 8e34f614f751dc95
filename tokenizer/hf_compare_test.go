package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const hfPython = "/usr/bin/python3"

// hfScript tokenizes the cases of a JSON job with HF's Python BertTokenizer and prints the
// results as JSON. Exit status 3 means transformers is not importable, 4 that its
// BertTokenizer is the Rust-backed implementation (whose normalizer skips the NFC step
// the Python BasicTokenizer performs, so it is not the reference this package follows).
const hfScript = `
import json, sys
try:
    from transformers import BertTokenizer
except Exception as exc:
    print("cannot import transformers:", exc, file=sys.stderr)
    sys.exit(3)
job = json.load(open(sys.argv[1], encoding="utf-8"))
tok = BertTokenizer(vocab_file=job["vocab"], do_lower_case=job["lower"],
                    strip_accents=job["strip"], tokenize_chinese_chars=job["chinese"])
if getattr(tok, "is_fast", False):
    sys.exit(4)
results = []
for case in job["cases"]:
    enc = tok(case["a"], case["b"], truncation="longest_first", max_length=case["max"])
    results.append({"tokens": tok.tokenize(case["a"]),
                    "ids": list(enc["input_ids"]), "types": list(enc["token_type_ids"])})
json.dump(results, sys.stdout, ensure_ascii=True)
`

type hfCase struct {
	A   string `json:"a"`
	B   string `json:"b"`
	Max int    `json:"max"`
}

type hfJob struct {
	Vocab   string   `json:"vocab"`
	Lower   bool     `json:"lower"`
	Strip   *bool    `json:"strip"`
	Chinese bool     `json:"chinese"`
	Cases   []hfCase `json:"cases"`
}

type hfResult struct {
	Tokens []string `json:"tokens"`
	IDs    []int64  `json:"ids"`
	Types  []int64  `json:"types"`
}

// TestAgainstHF compares with HF transformers on random mixed text when a system Python
// with transformers is installed; elsewhere it skips.
func TestAgainstHF(t *testing.T) {
	if _, err := os.Stat(hfPython); err != nil {
		t.Skipf("no %s", hfPython)
	}
	if err := exec.Command(hfPython, "-c", "import transformers").Run(); err != nil {
		t.Skipf("%s cannot import transformers", hfPython)
	}
	dir := t.TempDir()
	vocabPath := filepath.Join(dir, "vocab.txt")
	if err := os.WriteFile(vocabPath, []byte(strings.Join(synthVocabTokens(), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	scriptPath := filepath.Join(dir, "hf.py")
	if err := os.WriteFile(scriptPath, []byte(hfScript), 0o644); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(21, 42))
	var cases []hfCase
	for i := 0; i < 150; i++ {
		cases = append(cases, hfCase{A: genText(r, r.IntN(200), true), B: genText(r, r.IntN(120), true), Max: 8 + r.IntN(120)})
	}
	for _, o := range []Options{
		DefaultOptions(),
		{TokenizeChineseChars: true},
		{DoLowerCase: true, TokenizeChineseChars: true, StripAccents: boolPtr(false)},
		{TokenizeChineseChars: true, StripAccents: boolPtr(true)},
		{DoLowerCase: true},
	} {
		tok := synthTokenizer(t, o)
		job := hfJob{Vocab: vocabPath, Lower: o.DoLowerCase, Strip: o.StripAccents, Chinese: o.TokenizeChineseChars, Cases: cases}
		jobPath := filepath.Join(dir, "job.json")
		data, err := json.Marshal(job)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(jobPath, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(hfPython, scriptPath, jobPath)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.ExitCode() == 4 {
				t.Skip("installed transformers only provides the Rust-backed BertTokenizer")
			}
			t.Fatalf("running HF: %v\n%s", err, stderr.String())
		}
		var results []hfResult
		if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
			t.Fatalf("decoding HF output: %v", err)
		}
		if len(results) != len(cases) {
			t.Fatalf("HF returned %d results for %d cases", len(results), len(cases))
		}
		mismatches := 0
		for i, c := range cases {
			got, _ := tok.Tokenize(c.A)
			enc := tok.EncodePair(c.A, c.B, c.Max)
			if !slices.Equal(got, results[i].Tokens) || !slices.Equal(enc.IDs, results[i].IDs) ||
				!slices.Equal(enc.TypeIDs, results[i].Types) {
				mismatches++
				if mismatches <= 5 {
					t.Errorf("options %+v, case %d %q / %q max %d:\n go tokens %q\n hf tokens %q\n go ids %v\n hf ids %v",
						o, i, c.A, c.B, c.Max, got, results[i].Tokens, enc.IDs, results[i].IDs)
				}
			}
		}
		if mismatches > 0 {
			t.Errorf("options %+v: %d of %d cases differ from HF", o, mismatches, len(cases))
		}
	}
}
