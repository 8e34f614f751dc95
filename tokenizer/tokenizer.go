package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
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

// tokenizerConfig is the subset of HF's tokenizer_config.json that changes tokenization.
// Keys that select behaviour this package does not implement are read only so that such a
// config is refused instead of silently tokenized differently.
type tokenizerConfig struct {
	DoLowerCase          *bool    `json:"do_lower_case"`
	TokenizeChineseChars *bool    `json:"tokenize_chinese_chars"`
	StripAccents         *bool    `json:"strip_accents"`
	SplitSpecialTokens   *bool    `json:"split_special_tokens"`
	DoBasicTokenize      *bool    `json:"do_basic_tokenize"`
	DoSplitOnPunc        *bool    `json:"do_split_on_punc"`
	NeverSplit           []string `json:"never_split"`
}

// specialConfigKeys are the tokenizer_config.json keys naming special tokens, with the
// names this package requires.
var specialConfigKeys = map[string]string{
	"cls_token": ClsToken, "sep_token": SepToken, "pad_token": PadToken,
	"unk_token": UnkToken, "mask_token": MaskToken,
}

// FromDir loads dir/vocab.txt and, when present, dir/tokenizer_config.json (as written by
// HF save_pretrained). Without a config the HF constructor defaults apply.
func FromDir(dir string) (*Tokenizer, error) {
	v, err := LoadVocab(filepath.Join(dir, "vocab.txt"))
	if err != nil {
		return nil, fmt.Errorf("tokenizer from %s: %w", dir, err)
	}
	o := DefaultOptions()
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	data, err := os.ReadFile(cfgPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("tokenizer from %s: %w", dir, err)
	default:
		if err := applyConfig(&o, data); err != nil {
			return nil, fmt.Errorf("tokenizer from %s: %s: %w", dir, cfgPath, err)
		}
	}
	t, err := New(v, o)
	if err != nil {
		return nil, fmt.Errorf("tokenizer from %s: %w", dir, err)
	}
	return t, nil
}

func applyConfig(o *Options, data []byte) error {
	var cfg tokenizerConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	for key, want := range specialConfigKeys {
		raw, ok := all[key]
		if !ok {
			continue
		}
		got, err := specialTokenName(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if got != "" && got != want {
			return fmt.Errorf("%s is %q; only %q is supported", key, got, want)
		}
	}
	if cfg.DoBasicTokenize != nil && !*cfg.DoBasicTokenize {
		return errors.New("do_basic_tokenize=false is not supported")
	}
	if cfg.DoSplitOnPunc != nil && !*cfg.DoSplitOnPunc {
		return errors.New("do_split_on_punc=false is not supported")
	}
	if len(cfg.NeverSplit) > 0 {
		return errors.New("a non-empty never_split is not supported")
	}
	if cfg.DoLowerCase != nil {
		o.DoLowerCase = *cfg.DoLowerCase
	}
	if cfg.TokenizeChineseChars != nil {
		o.TokenizeChineseChars = *cfg.TokenizeChineseChars
	}
	// null and absent both mean "follow do_lower_case", exactly as HF's None.
	o.StripAccents = cfg.StripAccents
	if cfg.SplitSpecialTokens != nil {
		o.SplitSpecialTokens = *cfg.SplitSpecialTokens
	}
	return nil
}

// specialTokenName reads a special token entry, which HF writes either as a plain string or
// as a serialized AddedToken object with a "content" field. null yields "".
func specialTokenName(raw json.RawMessage) (string, error) {
	var s *string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == nil {
			return "", nil
		}
		return *s, nil
	}
	var obj struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", fmt.Errorf("neither a string nor a token object: %w", err)
	}
	return obj.Content, nil
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

// maxPooledWordBytes bounds the word buffer a pooled scratch may keep.
const maxPooledWordBytes = 64 << 10

// scratch holds the per-call buffers, pooled so that tokenizing allocates only the output.
type scratch struct {
	// Current word after cleaning and lower-casing: UTF-8 bytes, the byte offset where each
	// rune starts, and the original character each rune came from.
	raw     []byte
	rawRB   []int32
	rawChar []int
	// The word after Unicode normalization: bytes, rune starts (plus a final entry equal
	// to len(norm)), runes, and per rune the original character range it covers.
	norm       []byte
	normRB     []int32
	normRunes  []rune
	normStart  []int
	normEnd    []int
	strip      bool
	key        []byte // "##" + continuation candidate
	lowerSlots []rune
}

// tokenize runs HF's pipeline: special-token literals are cut out of the raw text first
// (HF's added-token trie), and each remaining chunk goes through the basic tokenizer and
// WordPiece.
func (t *Tokenizer) tokenize(text string, out *result) {
	if t.vocab == nil {
		return // a zero Tokenizer, not made by New: nothing to look pieces up in
	}
	s := t.pool.Get().(*scratch)
	defer func() {
		// One enormous word would otherwise pin its buffers in the pool indefinitely.
		if cap(s.raw) <= maxPooledWordBytes {
			t.pool.Put(s)
		}
	}()
	// Chinese text yields about one piece per 3 bytes, other text fewer; sizing for that
	// up front avoids repeatedly growing (and copying) the output on long inputs.
	if est := len(text)/3 + 4; cap(out.ids) < est {
		out.ids = make([]int64, 0, est)
		out.offs = make([][2]int, 0, est)
	}
	base := 0
	for len(text) > 0 {
		at, sp := -1, specialToken{}
		if !t.splitSpecial {
			at, sp = t.findSpecial(text)
		}
		if at < 0 {
			t.basic(text, base, s, out)
			return
		}
		base += t.basic(text[:at], base, s, out)
		n := len(sp.text) // special tokens are ASCII: bytes == characters
		out.add(sp.id, base, base+n)
		base += n
		text = text[at+n:]
	}
}

// findSpecial returns the byte index of the first special-token literal in text, or -1.
// The five names all start with '[' and none is a prefix of another, so the first match
// is also the one HF's longest-match trie picks.
func (t *Tokenizer) findSpecial(text string) (int, specialToken) {
	from := 0
	for {
		i := strings.IndexByte(text[from:], '[')
		if i < 0 {
			return -1, specialToken{}
		}
		i += from
		for _, sp := range t.specials {
			if strings.HasPrefix(text[i:], sp.text) {
				return i, sp
			}
		}
		from = i + 1
	}
}

// basic runs text cleaning, CJK isolation, lower-casing and whitespace splitting over a
// chunk whose first character is character base of the whole text, handing each word to
// flushWord. It returns the number of characters in chunk.
func (t *Tokenizer) basic(chunk string, base int, s *scratch, out *result) int {
	s.resetWord()
	ci := base
	for _, r := range chunk {
		idx := ci
		ci++
		c := classOf(r)
		switch {
		case c&classControl != 0:
			continue
		case c&classSpace != 0:
			t.flushWord(s, out)
			continue
		case t.chinese && c&classChinese != 0:
			t.flushWord(s, out)
			s.addRune(r, idx)
			t.flushWord(s, out)
			continue
		}
		if t.lower {
			s.lowerSlots = lowerRune(s.lowerSlots[:0], r)
			for _, lr := range s.lowerSlots {
				s.addRune(lr, idx)
			}
		} else {
			s.addRune(r, idx)
		}
	}
	t.flushWord(s, out)
	return ci - base
}

func (s *scratch) resetWord() {
	s.raw, s.rawRB, s.rawChar = s.raw[:0], s.rawRB[:0], s.rawChar[:0]
}

func (s *scratch) addRune(r rune, char int) {
	s.rawRB = append(s.rawRB, int32(len(s.raw)))
	s.rawChar = append(s.rawChar, char)
	s.raw = utf8.AppendRune(s.raw, r)
}

// flushWord normalizes the pending word, splits it on punctuation and runs WordPiece on
// each part.
func (t *Tokenizer) flushWord(s *scratch, out *result) {
	if len(s.raw) == 0 {
		return
	}
	t.normalize(s)
	s.resetWord()
	n := len(s.normRunes)
	if n == 0 {
		return
	}
	// HF's BasicTokenizer does not split a whitespace token that equals a special token
	// once lower-cased and accent-stripped. Literals in the raw text were already cut out;
	// this catches ones that cleaning or normalization assembled, such as "[SE\x00P]" or
	// "[SEP\u0301]" in a cased model. (HF also checks before lower-casing, but text is
	// lower-cased character by character earlier, so that check can never match.)
	if !t.splitSpecial && len(s.norm) <= len(MaskToken) && s.norm[0] == '[' {
		for _, sp := range t.specials {
			if string(s.norm) == sp.text {
				t.wordpiece(s, 0, n, out)
				return
			}
		}
	}
	start := 0
	for i, r := range s.normRunes {
		if classOf(r)&classPunct == 0 {
			continue
		}
		if start < i {
			t.wordpiece(s, start, i, out)
		}
		t.wordpiece(s, i, i+1, out)
		start = i + 1
	}
	if start < n {
		t.wordpiece(s, start, n, out)
	}
}

// normalize turns s.raw into s.norm: NFD with combining marks (Mn) removed when stripping
// accents, NFC otherwise, as HF's BasicTokenizer does. (HF applies NFC to the whole text
// and then NFD to each token when stripping; NFD of an NFC string is the NFD of the
// original, so NFD alone is equivalent. Per-word normalization equals whole-text
// normalization because the separating spaces never compose with anything.) Each output
// rune records the original characters of the normalization segment it came from.
func (t *Tokenizer) normalize(s *scratch) {
	s.norm, s.normRB, s.normRunes = s.norm[:0], s.normRB[:0], s.normRunes[:0]
	s.normStart, s.normEnd = s.normStart[:0], s.normEnd[:0]
	s.strip = t.strip
	form := norm.NFC
	if t.strip {
		form = norm.NFD
	}
	if isASCII(s.raw) {
		// The common case for Latin text: normalization is the identity and nothing is a
		// combining mark, so copy in bulk.
		s.norm = append(s.norm, s.raw...)
		s.normRB = append(s.normRB, s.rawRB...)
		s.normStart = append(s.normStart, s.rawChar...)
		for i, c := range s.rawChar {
			s.normRunes = append(s.normRunes, rune(s.raw[i]))
			s.normEnd = append(s.normEnd, c+1)
		}
		s.normRB = append(s.normRB, int32(len(s.norm)))
		return
	}
	if isLoneUnifiedIdeograph(s.raw) || form.QuickSpan(s.raw) == len(s.raw) {
		// Already in the target form, so only combining marks may need dropping.
		for i, rb := range s.rawRB {
			r, _ := utf8.DecodeRune(s.raw[rb:])
			c := s.rawChar[i]
			s.emitNorm(r, c, c+1)
		}
		s.normRB = append(s.normRB, int32(len(s.norm)))
		return
	}
	var it norm.Iter
	it.Init(form, s.raw)
	ri := 0
	n := len(s.rawRB)
	// A segment that consumes no input (which should not happen) inherits the previous
	// segment's range rather than inventing one.
	lastStart, lastEnd := s.rawChar[0], s.rawChar[0]+1
	for !it.Done() {
		seg := it.Next()
		pos := it.Pos()
		first := ri
		for ri < n && int(s.rawRB[ri]) < pos {
			ri++
		}
		start, end := lastStart, lastEnd
		if ri > first {
			start, end = s.rawChar[first], s.rawChar[ri-1]+1
		}
		lastStart, lastEnd = start, end
		for len(seg) > 0 {
			r, size := utf8.DecodeRune(seg)
			seg = seg[size:]
			s.emitNorm(r, start, end)
		}
	}
	s.normRB = append(s.normRB, int32(len(s.norm)))
}

// emitNorm appends one normalized rune, dropping it instead when it is a combining mark
// being stripped.
func (s *scratch) emitNorm(r rune, start, end int) {
	if r >= 0x300 && classOf(r)&classMn != 0 && s.strip {
		return
	}
	s.normRB = append(s.normRB, int32(len(s.norm)))
	s.norm = utf8.AppendRune(s.norm, r)
	s.normRunes = append(s.normRunes, r)
	s.normStart = append(s.normStart, start)
	s.normEnd = append(s.normEnd, end)
}

// isLoneUnifiedIdeograph reports whether word is one ideograph from the BMP unified blocks,
// the bulk of Chinese text. Those have no decomposition and never combine, so the word is
// already normalized and the general check can be skipped.
func isLoneUnifiedIdeograph(word []byte) bool {
	r, size := utf8.DecodeRune(word)
	return size == len(word) && ((r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF))
}
