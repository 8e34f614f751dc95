package tokenizer

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// modelDir makes a directory holding the test vocabulary and, unless config is "", a
// tokenizer_config.json with that content.
func modelDir(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "vocab.txt", string(data))
	if config != "" {
		writeFile(t, dir, "tokenizer_config.json", config)
	}
	return dir
}

func TestFromDir(t *testing.T) {
	const text = "Hello Café 我们"
	tests := []struct {
		name     string
		config   string
		want     []string
		wantOpts Options
	}{
		{"no config uses defaults", "",
			[]string{"hello", "cafe", "我", "们"}, DefaultOptions()},
		{"cased config", `{"do_lower_case": false, "model_max_length": 512}`,
			[]string{"Hello", "Café", "我", "们"},
			Options{TokenizeChineseChars: true, MaxInputCharsPerWord: 100}},
		{"explicit null strip_accents follows lower case", `{"do_lower_case": true, "strip_accents": null}`,
			[]string{"hello", "cafe", "我", "们"}, DefaultOptions()},
		{"keep accents", `{"strip_accents": false}`,
			[]string{"hello", "café", "我", "们"},
			Options{DoLowerCase: true, TokenizeChineseChars: true, MaxInputCharsPerWord: 100, StripAccents: boolPtr(false)}},
		{"no chinese isolation", `{"tokenize_chinese_chars": false}`,
			[]string{"hello", "cafe", "[UNK]"},
			Options{DoLowerCase: true, MaxInputCharsPerWord: 100}},
		{"special tokens as strings and objects",
			`{"unk_token": "[UNK]", "cls_token": {"content": "[CLS]", "lstrip": false}, "mask_token": null}`,
			[]string{"hello", "cafe", "我", "们"}, DefaultOptions()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := FromDir(modelDir(t, tc.config))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := tok.Tokenize(text)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Tokenize(%q) = %v, want %v", text, got, tc.want)
			}
			if opts := tok.Options(); !reflect.DeepEqual(opts, tc.wantOpts) {
				t.Errorf("options %+v, want %+v", opts, tc.wantOpts)
			}
		})
	}
}

func TestFromDirErrors(t *testing.T) {
	tests := []struct {
		name   string
		config string
		want   string
	}{
		{"malformed json", `{"do_lower_case": `, "tokenizer_config.json: parse"},
		{"wrong type", `{"do_lower_case": "yes"}`, "tokenizer_config.json: parse"},
		{"other unk token", `{"unk_token": "<unk>"}`, `unk_token is "<unk>"`},
		{"bad special token entry", `{"sep_token": 3}`, "sep_token"},
		{"no basic tokenization", `{"do_basic_tokenize": false}`, "do_basic_tokenize"},
		{"no punctuation split", `{"do_split_on_punc": false}`, "do_split_on_punc"},
		{"never split list", `{"never_split": ["foo"]}`, "never_split"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromDir(modelDir(t, tc.config))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	t.Run("missing vocab", func(t *testing.T) {
		dir := t.TempDir()
		_, err := FromDir(dir)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "vocab.txt")) {
			t.Errorf("error %v, want one naming the vocab path", err)
		}
	})
	t.Run("vocab without special tokens", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "vocab.txt", "a\nb\n")
		_, err := FromDir(dir)
		if err == nil || !strings.Contains(err.Error(), "lacks special tokens") {
			t.Errorf("error %v, want a missing special tokens error", err)
		}
	})
}

// TestFromDirModelMismatch puts the tokenizer files beside a model config.json that does not
// fit them: the error names both files and the numbers.
func TestFromDirModelMismatch(t *testing.T) {
	vocab, err := os.ReadFile(filepath.Join("testdata", "vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	n := strings.Count(string(vocab), "\n")
	tests := []struct {
		name, vocab, config string
		want                []string // "" for none
	}{
		{"vocab_size smaller", string(vocab), `{"vocab_size": 20, "hidden_size": 8}`,
			[]string{"vocab.txt has " + strconv.Itoa(n) + " tokens", "config.json has vocab_size 20", "ids 20…" + strconv.Itoa(n-1)}},
		{"vocab_size one short", string(vocab), `{"vocab_size": ` + strconv.Itoa(n-1) + `}`,
			[]string{"vocab.txt", "config.json", "vocab_size " + strconv.Itoa(n-1)}},
		{"missing special token", strings.Replace(string(vocab), "[MASK]\n", "", 1), `{"vocab_size": 30000}`,
			[]string{"vocab.txt", "lacks special tokens [MASK]"}},
		{"vocab_size equal", string(vocab), `{"vocab_size": ` + strconv.Itoa(n) + `}`, nil},
		{"vocab_size padded", string(vocab), `{"vocab_size": ` + strconv.Itoa(n+8) + `}`, nil},
		{"vocab_size absent", string(vocab), `{"hidden_size": 8}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "vocab.txt", tc.vocab)
			writeFile(t, dir, "config.json", tc.config)
			_, err := FromDir(dir)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append([]string{dir}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
