package tokenizer

import (
	"strings"
	"unicode/utf8"
)

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
