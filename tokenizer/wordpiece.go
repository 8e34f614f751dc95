package tokenizer

import "unicode/utf8"

// wordpiece runs HF's WordpieceTokenizer on normalized runes [from, to) of the current
// word: greedy longest-match-first, continuation pieces looked up with a "##" prefix. A
// word longer than maxChars, or one with any position where no vocabulary entry matches,
// becomes a single [UNK] covering the whole word.
func (t *Tokenizer) wordpiece(s *scratch, from, to int, out *result) {
	wordStart, wordEnd := s.normStart[from], s.normEnd[to-1]
	if to-from > t.maxChars {
		out.add(t.unk, wordStart, wordEnd)
		return
	}
	mark := len(out.ids)
	ids := t.vocab.ids
	rb := s.normRB
	for start := from; start < to; {
		id := int64(-1)
		end := min(to, start+t.maxFirst)
		if start == from {
			for ; end > start; end-- {
				// The compiler turns this conversion inside a map index into a lookup
				// without allocating.
				if v, ok := ids[string(s.norm[rb[start]:rb[end]])]; ok {
					id = v
					break
				}
			}
		} else {
			end = min(to, start+t.maxCont)
			s.key = append(append(s.key[:0], "##"...), s.norm[rb[start]:rb[end]]...)
			for ; end > start; end-- {
				if v, ok := ids[string(s.key[:2+rb[end]-rb[start]])]; ok {
					id = v
					break
				}
			}
		}
		if id < 0 {
			out.truncate(mark)
			out.add(t.unk, wordStart, wordEnd)
			return
		}
		out.add(id, s.normStart[start], s.normEnd[end-1])
		start = end
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
