package tokenizer

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

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
