package tokenizer

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

func testVocab(t testing.TB) *Vocab {
	t.Helper()
	v, err := LoadVocab(filepath.Join("testdata", "vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func newTestTokenizer(t testing.TB, o Options) *Tokenizer {
	t.Helper()
	tok, err := New(testVocab(t), o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func boolPtr(b bool) *bool { return &b }

// piece is an expected piece with its [start, end) character offsets.
type piece struct {
	tok        string
	start, end int
}

func (p piece) String() string { return fmt.Sprintf("%s[%d,%d)", p.tok, p.start, p.end) }

func zipPieces(toks []string, offs [][2]int) []piece {
	out := make([]piece, len(toks))
	for i := range toks {
		out[i] = piece{toks[i], offs[i][0], offs[i][1]}
	}
	return out
}

// seq builds expected pieces of one character each starting at character from, the usual
// shape for CJK text and punctuation.
func seq(from int, toks ...string) []piece {
	out := make([]piece, len(toks))
	for i, tk := range toks {
		out[i] = piece{tk, from + i, from + i + 1}
	}
	return out
}

func cat(parts ...[]piece) []piece {
	var out []piece
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// The expected pieces below are worked out by hand from the algorithm and the vocabulary in
// testdata/vocab.txt; the comments give the reasoning where it is not obvious.
func TestTokenizeDefault(t *testing.T) {
	tok := newTestTokenizer(t, DefaultOptions())
	tests := []struct {
		name string
		text string
		want []piece
	}{
		{"empty", "", nil},
		{"only whitespace", " \t\n\r\u3000 ", nil},
		{"chinese", "我们喜欢北京", seq(0, "我", "们", "喜", "欢", "北", "京")},
		{"chinese with digits", "今年是2023年！",
			cat(seq(0, "今", "年", "是"), []piece{{"20", 3, 5}, {"##23", 5, 7}}, seq(7, "年", "！"))},
		{"english lowercased and punctuation split", "Hello, World!",
			[]piece{{"hello", 0, 5}, {",", 5, 6}, {"world", 7, 12}, {"!", 12, 13}}},
		{"mixed chinese english digits", "我喜欢Python3和北京。",
			cat(seq(0, "我", "喜", "欢"), []piece{{"python", 3, 9}, {"##3", 9, 10}}, seq(10, "和", "北", "京", "。"))},
		{"accent stripped, offsets on original", "Café", []piece{{"cafe", 0, 4}}},
		{"diaeresis stripped inside a word", "naïve", []piece{{"na", 0, 2}, {"##ive", 2, 5}}},
		// The combining mark is its own character in the input and is deleted, so no piece
		// covers it.
		{"decomposed accent", "cafe\u0301", []piece{{"cafe", 0, 4}}},
		{"full-width punctuation", "“好书”《中国》？",
			seq(0, "“", "好", "书", "”", "《", "中", "国", "》", "？")},
		{"full-width punctuation after latin", "hello，world。",
			[]piece{{"hello", 0, 5}, {"，", 5, 6}, {"world", 6, 11}, {"。", 11, 12}}},
		{"enumeration comma", "中、国", seq(0, "中", "、", "国")},
		{"NUL removed, word rejoined", "he\x00llo", []piece{{"hello", 0, 6}}},
		{"tab and soft hyphen", "he\x00llo\tworld\u00ad", []piece{{"hello", 0, 6}, {"world", 7, 12}}},
		{"zero width space is a format char, not a separator", "hello\u200bworld",
			[]piece{{"[UNK]", 0, 11}}},
		{"replacement char removed", "\ufffdhello", []piece{{"hello", 1, 6}}},
		{"invalid utf8 byte counts as one character", "\xffhello", []piece{{"hello", 1, 6}}},
		{"private use and unassigned removed", "\ue000he\u0378llo", []piece{{"hello", 1, 7}}},
		{"unicode separators split words", "hello\u2028world\u00a0hello\u3000world",
			[]piece{{"hello", 0, 5}, {"world", 6, 11}, {"hello", 12, 17}, {"world", 18, 23}}},
		{"greedy longest match", "unable", []piece{{"una", 0, 3}, {"##ble", 3, 6}}},
		// "ab" is taken first and "##c" does not exist; HF does not backtrack to a + ##bc.
		{"greedy dead end is unk", "abc", []piece{{"[UNK]", 0, 3}}},
		{"partial match is unk", "xyz", []piece{{"[UNK]", 0, 3}}},
		{"unknown chinese char", "你好", cat([]piece{{"[UNK]", 0, 1}}, seq(1, "好"))},
		{"ascii symbol is punctuation", "$5", seq(0, "$", "5")},
		// U+FF5E is a math symbol (Sm), not punctuation, so the word stays whole.
		{"full-width tilde is not punctuation", "a～a", []piece{{"[UNK]", 0, 3}}},
		{"special token literal", "好[SEP]书", cat(seq(0, "好"), []piece{{"[SEP]", 1, 6}}, seq(6, "书"))},
		{"special token literal glued to a word", "hello[MASK]", []piece{{"hello", 0, 5}, {"[MASK]", 5, 11}}},
		{"special tokens match case-sensitively", "[sep]",
			[]piece{{"[", 0, 1}, {"[UNK]", 1, 4}, {"]", 4, 5}}},
		{"bracket then literal", "[[CLS]]", []piece{{"[", 0, 1}, {"[CLS]", 1, 6}, {"]", 6, 7}}},
		// NUL is removed only after the literal search, and the lowercased word "[sep]"
		// is no special token.
		{"assembled literal in uncased model", "[SE\x00P]",
			[]piece{{"[", 0, 1}, {"[UNK]", 1, 5}, {"]", 5, 6}}},
		// NFD splits the syllable into three jamo, all from character 0.
		{"hangul decomposes", "한", []piece{{"ᄒ", 0, 1}, {"##ᅡ", 0, 1}, {"##ᆫ", 0, 1}}},
		{"cjk compatibility ideograph normalizes", "\uf900", seq(0, "豈")},
		{"dotted capital I", "İstanbul", []piece{{"istanbul", 0, 8}}},
		{"word of 100 chars", strings.Repeat("a", 100),
			cat([]piece{{"a", 0, 1}}, func() []piece {
				var p []piece
				for i := 1; i < 100; i++ {
					p = append(p, piece{"##a", i, i + 1})
				}
				return p
			}())},
		{"word of 101 chars is unk", strings.Repeat("a", 101), []piece{{"[UNK]", 0, 101}}},
		{"long word counted after punctuation split", strings.Repeat("a", 60) + "-" + strings.Repeat("a", 60),
			func() []piece {
				p := []piece{{"a", 0, 1}}
				for i := 1; i < 60; i++ {
					p = append(p, piece{"##a", i, i + 1})
				}
				p = append(p, piece{"-", 60, 61}, piece{"a", 61, 62})
				for i := 62; i < 121; i++ {
					p = append(p, piece{"##a", i, i + 1})
				}
				return p
			}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks, offs := tok.Tokenize(tc.text)
			if len(toks) != len(offs) {
				t.Fatalf("%d pieces but %d offsets", len(toks), len(offs))
			}
			got := zipPieces(toks, offs)
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Tokenize(%q)\n got %v\nwant %v", tc.text, got, tc.want)
			}
		})
	}
}

func TestTokenizeOptions(t *testing.T) {
	cased := Options{TokenizeChineseChars: true}
	lowerKeepAccents := Options{DoLowerCase: true, TokenizeChineseChars: true, StripAccents: boolPtr(false)}
	casedStrip := Options{TokenizeChineseChars: true, StripAccents: boolPtr(true)}
	noChinese := Options{DoLowerCase: true}
	splitSpecial := DefaultOptions()
	splitSpecial.SplitSpecialTokens = true
	short := DefaultOptions()
	short.MaxInputCharsPerWord = 3
	tests := []struct {
		name string
		opts Options
		text string
		want []piece
	}{
		{"cased keeps case", cased, "Hello hello", []piece{{"Hello", 0, 5}, {"hello", 6, 11}}},
		{"cased unknown capitalised word", cased, "World", []piece{{"[UNK]", 0, 5}}},
		{"cased keeps accents", cased, "Café", []piece{{"Café", 0, 4}}},
		// NFC composes e + U+0301 into é; the composed character covers both originals.
		{"cased composes NFC", cased, "cafe\u0301", []piece{{"café", 0, 5}}},
		{"lowercase without stripping", lowerKeepAccents, "Café", []piece{{"café", 0, 4}}},
		// Python lowercases İ to i + U+0307, which is kept when accents are not stripped.
		{"lowercase dotted I without stripping", lowerKeepAccents, "İstanbul", []piece{{"[UNK]", 0, 8}}},
		{"cased with explicit stripping", casedStrip, "naïve Café",
			[]piece{{"na", 0, 2}, {"##ive", 2, 5}, {"[UNK]", 6, 10}}},
		{"chinese chars not isolated", noChinese, "我们 好", []piece{{"[UNK]", 0, 2}, {"好", 3, 4}}},
		{"chinese chars not isolated but punctuation still splits", noChinese, "好，书",
			cat(seq(0, "好", "，", "书"))},
		// In a cased model, removing the NUL assembles "[SEP]", which HF's basic tokenizer
		// then refuses to split.
		{"assembled literal in cased model", cased, "[SE\x00P]", []piece{{"[SEP]", 0, 6}}},
		// Stripping the accent assembles "[SEP]" after NFC had composed P + U+0301.
		{"literal assembled by accent stripping", casedStrip, "[SEP\u0301]", []piece{{"[SEP]", 0, 6}}},
		{"accented literal in cased model without stripping", cased, "[SEP\u0301]",
			[]piece{{"[", 0, 1}, {"[UNK]", 1, 5}, {"]", 5, 6}}},
		{"literal in cased model", cased, "好[CLS]", cat(seq(0, "好"), []piece{{"[CLS]", 1, 6}})},
		{"split special tokens", splitSpecial, "好[SEP]",
			[]piece{{"好", 0, 1}, {"[", 1, 2}, {"[UNK]", 2, 5}, {"]", 5, 6}}},
		{"max chars per word", short, "hello una", []piece{{"[UNK]", 0, 5}, {"una", 6, 9}}},
		{"max chars counts normalized chars", short, "\u00e9\u00e9\u00e9\u00e9", []piece{{"[UNK]", 0, 4}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := newTestTokenizer(t, tc.opts)
			toks, offs := tok.Tokenize(tc.text)
			got := zipPieces(toks, offs)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Tokenize(%q)\n got %v\nwant %v", tc.text, got, tc.want)
			}
		})
	}
}

func TestTokenizeIDs(t *testing.T) {
	tok := newTestTokenizer(t, DefaultOptions())
	text := "好[SEP]xyz hello"
	ids, offs := tok.TokenizeIDs(text)
	toks, offs2 := tok.Tokenize(text)
	if !reflect.DeepEqual(offs, offs2) {
		t.Fatalf("offsets differ: %v vs %v", offs, offs2)
	}
	want := []string{"好", "[SEP]", "[UNK]", "hello"}
	if !reflect.DeepEqual(toks, want) {
		t.Fatalf("tokens %v, want %v", toks, want)
	}
	for i, id := range ids {
		if got := tok.Vocab().Token(id); got != toks[i] {
			t.Errorf("id %d is %q, piece is %q", id, got, toks[i])
		}
	}
	if ids[1] != tok.SEP() || ids[2] != tok.UNK() {
		t.Errorf("special ids %v, want SEP=%d UNK=%d", ids, tok.SEP(), tok.UNK())
	}
}

func TestSpecialIDs(t *testing.T) {
	tok := newTestTokenizer(t, DefaultOptions())
	// testdata/vocab.txt lists them first, in this order.
	got := []int64{tok.PAD(), tok.UNK(), tok.CLS(), tok.SEP(), tok.MASK()}
	if want := []int64{0, 1, 2, 3, 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("special ids %v, want %v", got, want)
	}
	if o := tok.Options(); o.MaxInputCharsPerWord != 100 {
		t.Errorf("resolved MaxInputCharsPerWord %d, want 100", o.MaxInputCharsPerWord)
	}
}

func TestNewErrors(t *testing.T) {
	full := testVocab(t)
	noMask, err := NewVocab([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		v    *Vocab
		o    Options
		want string
	}{
		{"nil vocab", nil, DefaultOptions(), "nil vocabulary"},
		{"missing special", noMask, DefaultOptions(), "[MASK]"},
		{"negative max chars", full, Options{MaxInputCharsPerWord: -1}, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.v, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// A vocabulary without continuation pieces can still tokenize single-piece words, and
// everything else becomes [UNK] rather than panicking.
func TestNoContinuationPieces(t *testing.T) {
	v, err := NewVocab([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "ab", "a"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := New(v, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	toks, _ := tok.Tokenize("ab abc a")
	if want := []string{"ab", "[UNK]", "a"}; !reflect.DeepEqual(toks, want) {
		t.Errorf("got %v, want %v", toks, want)
	}
}

// The tokenizer is shared by data-loading goroutines; pooled buffers must not mix calls.
func TestConcurrentUse(t *testing.T) {
	tok := synthTokenizer(t, DefaultOptions())
	r := rand.New(rand.NewPCG(5, 6))
	texts := make([]string, 64)
	want := make([][]string, len(texts))
	for i := range texts {
		texts[i] = genText(r, 50+r.IntN(500), true)
		want[i], _ = tok.Tokenize(texts[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, len(texts)*4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := range texts {
				i := (k + w*16) % len(texts)
				if got, _ := tok.Tokenize(texts[i]); !slices.Equal(got, want[i]) {
					errs <- fmt.Sprintf("text %d differs when tokenized concurrently", i)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
