package tokenizer

// Encoding is model input for one example, built as HF's BertTokenizer builds it with
// add_special_tokens=True and truncation="longest_first" (no padding).
type Encoding struct {
	IDs     []int64
	TypeIDs []int64  // 0 for [CLS], text a and its [SEP]; 1 for text b and the final [SEP]
	Tokens  []string // the piece strings, for debugging and span extraction
	Offsets [][2]int // character offsets into the segment's own original text; [0,0] for special tokens
	Segment []int    // 0 = text a, 1 = text b, -1 = special token
}

// Len returns the number of tokens.
func (e Encoding) Len() int { return len(e.IDs) }

// Encode returns [CLS] a [SEP], with a's pieces cut from the end so that the whole fits in
// maxLen tokens. maxLen <= 0 means no limit. When maxLen < 2 the result is [CLS] [SEP]
// anyway: the special tokens are never dropped. (HF instead logs an error and returns the
// text untruncated when the text cannot be shortened enough; sending an over-long sequence
// to the model is worse than sending an empty one.)
func (t *Tokenizer) Encode(a string, maxLen int) Encoding {
	var ra result
	t.tokenize(a, &ra)
	if maxLen > 0 {
		ra.truncate(min(len(ra.ids), max(0, maxLen-2)))
	}
	e := newEncoding(len(ra.ids) + 2)
	e.special(t.cls, ClsToken, 0)
	e.text(&ra, 0, t.vocab.tokens)
	e.special(t.sep, SepToken, 0)
	return e
}

// EncodePair returns [CLS] a [SEP] b [SEP] truncated to maxLen tokens (maxLen <= 0: no
// limit) with HF's "longest_first" strategy: tokens are removed one at a time from the end
// of whichever text is currently longer, and from b when they are equally long. HF
// computes the same split in closed form: with d = |len(a) - len(b)| and k tokens to
// remove, the longer text first loses min(d, k), and the remaining r tokens are shared so
// that a loses floor(r/2) and b loses ceil(r/2). If even two empty texts do not fit
// (maxLen < 3), the result is [CLS] [SEP] [SEP].
func (t *Tokenizer) EncodePair(a, b string, maxLen int) Encoding {
	var ra, rb result
	t.tokenize(a, &ra)
	t.tokenize(b, &rb)
	if maxLen > 0 {
		keepA, keepB := longestFirst(len(ra.ids), len(rb.ids), maxLen-3)
		ra.truncate(keepA)
		rb.truncate(keepB)
	}
	e := newEncoding(len(ra.ids) + len(rb.ids) + 3)
	e.special(t.cls, ClsToken, 0)
	e.text(&ra, 0, t.vocab.tokens)
	e.special(t.sep, SepToken, 0)
	e.text(&rb, 1, t.vocab.tokens)
	e.special(t.sep, SepToken, 1)
	return e
}

// longestFirst returns how many tokens of each text to keep so that together they fit in
// budget, following HF's truncate_sequences for TruncationStrategy.LONGEST_FIRST.
func longestFirst(lenA, lenB, budget int) (keepA, keepB int) {
	budget = max(budget, 0)
	remove := lenA + lenB - budget
	if remove <= 0 {
		return lenA, lenB
	}
	first := min(abs(lenA-lenB), remove)
	second := remove - first
	var dropA, dropB int
	if lenA > lenB {
		dropA, dropB = first+second/2, second-second/2
	} else {
		dropA, dropB = second/2, first+second-second/2
	}
	return max(lenA-dropA, 0), max(lenB-dropB, 0)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func newEncoding(n int) Encoding {
	return Encoding{
		IDs:     make([]int64, 0, n),
		TypeIDs: make([]int64, 0, n),
		Tokens:  make([]string, 0, n),
		Offsets: make([][2]int, 0, n),
		Segment: make([]int, 0, n),
	}
}

func (e *Encoding) special(id int64, tok string, typeID int64) {
	e.IDs = append(e.IDs, id)
	e.TypeIDs = append(e.TypeIDs, typeID)
	e.Tokens = append(e.Tokens, tok)
	e.Offsets = append(e.Offsets, [2]int{})
	e.Segment = append(e.Segment, -1)
}

func (e *Encoding) text(r *result, seg int, vocabTokens []string) {
	e.IDs = append(e.IDs, r.ids...)
	for _, id := range r.ids {
		e.Tokens = append(e.Tokens, vocabTokens[id])
	}
	e.Offsets = append(e.Offsets, r.offs...)
	for range r.ids {
		e.TypeIDs = append(e.TypeIDs, int64(seg))
		e.Segment = append(e.Segment, seg)
	}
}
