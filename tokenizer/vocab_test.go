package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadVocab(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string // tokens in id order
	}{
		{"lf with final newline", "[PAD]\na\n##b\n", []string{"[PAD]", "a", "##b"}},
		{"no final newline", "[PAD]\na", []string{"[PAD]", "a"}},
		{"crlf", "[PAD]\r\na\r\n", []string{"[PAD]", "a"}},
		{"byte order mark", "\ufeff[PAD]\na\n", []string{"[PAD]", "a"}},
		{"inner spaces kept", "a b\n c\n", []string{"a b", " c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "vocab.txt", tc.content)
			v, err := LoadVocab(p)
			if err != nil {
				t.Fatal(err)
			}
			if v.Size() != len(tc.want) {
				t.Fatalf("Size %d, want %d", v.Size(), len(tc.want))
			}
			for i, tok := range tc.want {
				if got := v.Token(int64(i)); got != tok {
					t.Errorf("Token(%d) = %q, want %q", i, got, tok)
				}
				if id, ok := v.ID(tok); !ok || id != int64(i) {
					t.Errorf("ID(%q) = %d, %v, want %d", tok, id, ok, i)
				}
			}
		})
	}
}

func TestVocabLookupMisses(t *testing.T) {
	v := testVocab(t)
	if _, ok := v.ID("not-a-token"); ok {
		t.Error("ID of an absent token reported present")
	}
	for _, id := range []int64{-1, int64(v.Size()), 1 << 40} {
		if got := v.Token(id); got != "" {
			t.Errorf("Token(%d) = %q, want empty", id, got)
		}
	}
	if got := v.Token(int64(v.Size() - 1)); got != "##y" {
		t.Errorf("last token %q, want ##y", got)
	}
}

func TestLoadVocabErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string // substring after "<path>"
	}{
		{"duplicate", "[PAD]\na\nb\na\n", `:4: duplicate token "a" (first at id 1)`},
		{"duplicate after crlf stripping", "a\r\na\n", `:2: duplicate token "a"`},
		{"empty line", "a\n\nb\n", ":2: empty token"},
		{"trailing blank line", "a\nb\n\n", ":3: empty token"},
		{"invalid utf8", "a\nb\xff\n", ":2: token"},
		{"empty file", "", ": vocabulary is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "vocab.txt", tc.content)
			_, err := LoadVocab(p)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), p+tc.want) {
				t.Errorf("error %q, want it to contain %q", err, p+tc.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "nope.txt")
		_, err := LoadVocab(p)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("error %v, want one naming %s", err, p)
		}
	})
}

func TestNewVocabErrors(t *testing.T) {
	tests := []struct {
		name   string
		tokens []string
		want   string
	}{
		{"empty", nil, "empty"},
		{"duplicate", []string{"a", "b", "a"}, "token 2: duplicate"},
		{"empty token", []string{"a", ""}, "token 1: empty token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewVocab(tc.tokens)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
