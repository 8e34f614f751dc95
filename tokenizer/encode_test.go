package tokenizer

import (
	"reflect"
	"testing"
)

// truncateOneByOne is the definition HF's closed form implements: drop one token from the
// end of the longer sequence, from the second on ties, until the budget is met.
func truncateOneByOne(a, b, budget int) (int, int) {
	for a+b > budget && a+b > 0 {
		if a > b {
			a--
		} else {
			b--
		}
	}
	return a, b
}

func TestLongestFirst(t *testing.T) {
	tests := []struct {
		lenA, lenB, budget int
		keepA, keepB       int
	}{
		{6, 3, 10, 6, 3},  // fits
		{6, 3, 9, 6, 3},   // exactly fits
		{6, 3, 7, 4, 3},   // only the longer one shrinks
		{6, 3, 5, 3, 2},   // equal at 3/3, then the tie goes to b
		{3, 3, 5, 3, 2},   // tie: b loses first
		{3, 3, 4, 2, 2},   // then a
		{5, 5, 7, 4, 3},   // odd removal on a tie: b loses the extra one
		{2, 5, 4, 2, 2},   // b longer
		{2, 5, 3, 2, 1},   // b longer, then tie to b
		{4, 0, 2, 2, 0},   // b empty
		{0, 4, 1, 0, 1},   // a empty
		{1, 1, 0, 0, 0},   // nothing fits
		{1, 1, -3, 0, 0},  // negative budget behaves as zero
		{7, 2, 1, 1, 0},   // a longer, overshoot
		{0, 0, 0, 0, 0},   // empty
		{10, 10, 1, 1, 0}, // tie all the way down: a keeps the odd one
	}
	for _, tc := range tests {
		a, b := longestFirst(tc.lenA, tc.lenB, tc.budget)
		if a != tc.keepA || b != tc.keepB {
			t.Errorf("longestFirst(%d, %d, %d) = %d, %d, want %d, %d",
				tc.lenA, tc.lenB, tc.budget, a, b, tc.keepA, tc.keepB)
		}
	}
	// The closed form must agree with the one-at-a-time definition everywhere.
	for la := 0; la <= 12; la++ {
		for lb := 0; lb <= 12; lb++ {
			for budget := 0; budget <= 26; budget++ {
				a, b := longestFirst(la, lb, budget)
				wa, wb := truncateOneByOne(la, lb, budget)
				if a != wa || b != wb {
					t.Fatalf("longestFirst(%d, %d, %d) = %d, %d; one by one gives %d, %d", la, lb, budget, a, b, wa, wb)
				}
			}
		}
	}
}

type encRow struct {
	tok     string
	typeID  int64
	seg     int
	off     [2]int
	special bool
}

func rows(e Encoding) []encRow {
	out := make([]encRow, e.Len())
	for i := range e.IDs {
		out[i] = encRow{e.Tokens[i], e.TypeIDs[i], e.Segment[i], e.Offsets[i], e.Segment[i] < 0}
	}
	return out
}

func cls() encRow             { return encRow{"[CLS]", 0, -1, [2]int{}, true} }
func sep(typeID int64) encRow { return encRow{"[SEP]", typeID, -1, [2]int{}, true} }
func a(tok string, s, e int) encRow {
	return encRow{tok, 0, 0, [2]int{s, e}, false}
}
func b(tok string, s, e int) encRow {
	return encRow{tok, 1, 1, [2]int{s, e}, false}
}

func TestEncode(t *testing.T) {
	tok := newTestTokenizer(t, DefaultOptions())
	tests := []struct {
		name   string
		text   string
		maxLen int
		want   []encRow
	}{
		{"no limit", "我们喜欢 Hello", 0,
			[]encRow{cls(), a("我", 0, 1), a("们", 1, 2), a("喜", 2, 3), a("欢", 3, 4), a("hello", 5, 10), sep(0)}},
		{"limit larger than needed", "我们", 512, []encRow{cls(), a("我", 0, 1), a("们", 1, 2), sep(0)}},
		{"exact fit", "我们", 4, []encRow{cls(), a("我", 0, 1), a("们", 1, 2), sep(0)}},
		{"truncated", "我们喜欢", 4, []encRow{cls(), a("我", 0, 1), a("们", 1, 2), sep(0)}},
		{"cut inside a word keeps leading pieces", "python3", 3, []encRow{cls(), a("python", 0, 6), sep(0)}},
		{"only specials fit", "我们", 2, []encRow{cls(), sep(0)}},
		{"limit below specials", "我们", 1, []encRow{cls(), sep(0)}},
		{"empty text", "", 0, []encRow{cls(), sep(0)}},
		{"literal special token is text", "[SEP]", 0, []encRow{cls(), a("[SEP]", 0, 5), sep(0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := tok.Encode(tc.text, tc.maxLen)
			checkEncodingShape(t, tok, e)
			if got := rows(e); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Encode(%q, %d)\n got %+v\nwant %+v", tc.text, tc.maxLen, got, tc.want)
			}
		})
	}
}

func TestEncodePair(t *testing.T) {
	tok := newTestTokenizer(t, DefaultOptions())
	const textA, textB = "我们喜欢北京", "天安门" // 6 and 3 pieces
	aAll := []encRow{a("我", 0, 1), a("们", 1, 2), a("喜", 2, 3), a("欢", 3, 4), a("北", 4, 5), a("京", 5, 6)}
	bAll := []encRow{b("天", 0, 1), b("安", 1, 2), b("门", 2, 3)}
	pair := func(na, nb int) []encRow {
		out := []encRow{cls()}
		out = append(out, aAll[:na]...)
		out = append(out, sep(0))
		out = append(out, bAll[:nb]...)
		return append(out, sep(1))
	}
	tests := []struct {
		name   string
		a, b   string
		maxLen int
		want   []encRow
	}{
		{"no limit", textA, textB, 0, pair(6, 3)},
		{"fits exactly", textA, textB, 12, pair(6, 3)},
		{"longer side shrinks", textA, textB, 10, pair(4, 3)},
		{"down to a tie", textA, textB, 9, pair(3, 3)},
		{"tie removes from b", textA, textB, 8, pair(3, 2)},
		{"then from a", textA, textB, 7, pair(2, 2)},
		{"minimum", textA, textB, 3, pair(0, 0)},
		{"below minimum keeps specials", textA, textB, 1, pair(0, 0)},
		// 3 and 6 pieces, 5 fit: b shrinks to 3, then the tie takes one more from b.
		{"b longer", "天安门", "我们喜欢北京", 8,
			[]encRow{cls(), a("天", 0, 1), a("安", 1, 2), a("门", 2, 3), sep(0), b("我", 0, 1), b("们", 1, 2), sep(1)}},
		{"offsets are per segment", "hello", "好 world", 0,
			[]encRow{cls(), a("hello", 0, 5), sep(0), b("好", 0, 1), b("world", 2, 7), sep(1)}},
		{"both empty", "", "", 0, []encRow{cls(), sep(0), sep(1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := tok.EncodePair(tc.a, tc.b, tc.maxLen)
			checkEncodingShape(t, tok, e)
			if got := rows(e); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("EncodePair(%q, %q, %d)\n got %+v\nwant %+v", tc.a, tc.b, tc.maxLen, got, tc.want)
			}
		})
	}
}

// checkEncodingShape verifies what must hold for every encoding: parallel slices, ids that
// match the tokens, and special tokens flagged as such.
func checkEncodingShape(t *testing.T, tok *Tokenizer, e Encoding) {
	t.Helper()
	n := len(e.IDs)
	if len(e.TypeIDs) != n || len(e.Tokens) != n || len(e.Offsets) != n || len(e.Segment) != n {
		t.Fatalf("slice lengths differ: ids %d types %d tokens %d offsets %d segments %d",
			n, len(e.TypeIDs), len(e.Tokens), len(e.Offsets), len(e.Segment))
	}
	for i, id := range e.IDs {
		if got := tok.Vocab().Token(id); got != e.Tokens[i] {
			t.Errorf("position %d: id %d is %q but token is %q", i, id, got, e.Tokens[i])
		}
	}
	if n < 2 || e.IDs[0] != tok.CLS() || e.IDs[n-1] != tok.SEP() {
		t.Errorf("encoding does not start with [CLS] and end with [SEP]: %v", e.Tokens)
	}
}
