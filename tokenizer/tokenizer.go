package tokenizer

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// Names of BERT's special tokens. They must all be in the vocabulary.
const (
	ClsToken  = "[CLS]"
	SepToken  = "[SEP]"
	PadToken  = "[PAD]"
	UnkToken  = "[UNK]"
	MaskToken = "[MASK]"
)

// defaultMaxInputCharsPerWord is HF WordpieceTokenizer's max_input_chars_per_word.
const defaultMaxInputCharsPerWord = 100

// Options mirror the BertTokenizer constructor arguments that change tokenization.
type Options struct {
	// DoLowerCase lower-cases text (and, unless StripAccents says otherwise, strips accents).
	DoLowerCase bool
	// MaxInputCharsPerWord: a word longer than this (in characters, after normalization)
	// becomes a single [UNK]. 0 means HF's default of 100.
	MaxInputCharsPerWord int
	// TokenizeChineseChars makes every CJK ideograph a word of its own.
	TokenizeChineseChars bool
	// StripAccents removes combining marks after NFD decomposition. nil follows
	// DoLowerCase, as in HF (and the original BERT).
	StripAccents *bool
	// SplitSpecialTokens treats special tokens written literally in the text ("[SEP]") as
	// ordinary text. The zero value keeps HF's default (split_special_tokens=False): such
	// literals become the special token itself.
	SplitSpecialTokens bool
}

// DefaultOptions returns HF BertTokenizer's constructor defaults. Note that HF applies
// them only when a model ships no tokenizer_config.json; bert-base-chinese, for instance,
// is cased (do_lower_case false) through its config.
func DefaultOptions() Options {
	return Options{DoLowerCase: true, TokenizeChineseChars: true, MaxInputCharsPerWord: defaultMaxInputCharsPerWord}
}

// Tokenizer is a BERT WordPiece tokenizer. Make one with New or FromDir; it is immutable
// afterwards and safe for concurrent use.
type Tokenizer struct {
	vocab        *Vocab
	opts         Options
	lower        bool
	strip        bool
	chinese      bool
	splitSpecial bool
	maxChars     int
	// Longest vocabulary entry in runes, as a first piece and as a "##" continuation
	// (prefix excluded). Candidates longer than these cannot match, so the greedy
	// longest-match search starts there instead of at the end of the word; that keeps
	// long words from costing quadratic time without changing any result.
	maxFirst, maxCont int

	cls, sep, pad, unk, mask int64
	specials                 [5]specialToken
	pool                     sync.Pool
}

type specialToken struct {
	text string
	id   int64
}

// New returns a tokenizer over v. The five BERT special tokens must be in v.
func New(v *Vocab, o Options) (*Tokenizer, error) {
	if v == nil {
		return nil, errors.New("tokenizer: nil vocabulary")
	}
	if o.MaxInputCharsPerWord < 0 {
		return nil, fmt.Errorf("tokenizer: MaxInputCharsPerWord %d is negative", o.MaxInputCharsPerWord)
	}
	if o.MaxInputCharsPerWord == 0 {
		o.MaxInputCharsPerWord = defaultMaxInputCharsPerWord
	}
	t := &Tokenizer{
		vocab:        v,
		opts:         o,
		lower:        o.DoLowerCase,
		strip:        o.DoLowerCase,
		chinese:      o.TokenizeChineseChars,
		splitSpecial: o.SplitSpecialTokens,
		maxChars:     o.MaxInputCharsPerWord,
	}
	if o.StripAccents != nil {
		t.strip = *o.StripAccents
	}
	var missing []string
	for i, name := range []string{ClsToken, SepToken, PadToken, UnkToken, MaskToken} {
		id, ok := v.ID(name)
		if !ok {
			missing = append(missing, name)
		}
		t.specials[i] = specialToken{text: name, id: id}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("tokenizer: vocabulary lacks special tokens %s", strings.Join(missing, ", "))
	}
	t.cls, t.sep, t.pad, t.unk, t.mask = t.specials[0].id, t.specials[1].id, t.specials[2].id, t.specials[3].id, t.specials[4].id
	for _, tok := range v.tokens {
		n := utf8.RuneCountInString(tok)
		t.maxFirst = max(t.maxFirst, n)
		if strings.HasPrefix(tok, "##") {
			t.maxCont = max(t.maxCont, n-2)
		}
	}
	t.pool.New = func() any { return new(scratch) }
	bmpOnce.Do(buildBMPClasses)
	return t, nil
}

// Vocab returns the tokenizer's vocabulary.
func (t *Tokenizer) Vocab() *Vocab { return t.vocab }

// Options returns the options in effect (MaxInputCharsPerWord resolved).
func (t *Tokenizer) Options() Options { return t.opts }

// CLS returns the id of [CLS].
func (t *Tokenizer) CLS() int64 { return t.cls }

// SEP returns the id of [SEP].
func (t *Tokenizer) SEP() int64 { return t.sep }

// PAD returns the id of [PAD].
func (t *Tokenizer) PAD() int64 { return t.pad }

// UNK returns the id of [UNK].
func (t *Tokenizer) UNK() int64 { return t.unk }

// MASK returns the id of [MASK].
func (t *Tokenizer) MASK() int64 { return t.mask }

// Tokenize splits text into word pieces. offsets[i] is the [start, end) range, in
// characters (runes; each invalid UTF-8 byte counts as one) of text, that piece i was
// made from. Lower-casing and accent stripping do not shift offsets: "Café" gives "cafe"
// covering [0, 4). Offsets are non-decreasing and never empty, but two pieces may share a
// character when normalization split one character into several (a Hangul syllable
// decomposes into jamo, for instance).
func (t *Tokenizer) Tokenize(text string) (pieces []string, offsets [][2]int) {
	var out result
	t.tokenize(text, &out)
	return t.pieceStrings(out.ids), out.offs
}

// TokenizeIDs is Tokenize returning vocabulary ids instead of piece strings.
func (t *Tokenizer) TokenizeIDs(text string) (ids []int64, offsets [][2]int) {
	var out result
	t.tokenize(text, &out)
	return out.ids, out.offs
}

// pieceStrings maps ids to their vocabulary strings. The strings are shared with the
// vocabulary, so this costs one slice and no per-piece allocation. Building them once at
// the end, rather than appending alongside the ids, keeps the hot loop free of pointer
// writes (which the garbage collector has to track).
func (t *Tokenizer) pieceStrings(ids []int64) []string {
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = t.vocab.tokens[id]
	}
	return out
}

// result accumulates pieces; the two slices stay parallel.
type result struct {
	ids  []int64
	offs [][2]int
}

func (r *result) add(id int64, start, end int) {
	r.ids = append(r.ids, id)
	r.offs = append(r.offs, [2]int{start, end})
}

func (r *result) truncate(n int) {
	r.ids, r.offs = r.ids[:n], r.offs[:n]
}
