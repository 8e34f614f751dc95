package tokenizer

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// Synthetic material for the benchmark, the fuzz seeds and the comparison with HF: a
// vocabulary shaped like a Chinese BERT one (every common CJK ideograph, punctuation, Latin
// sub-words) and random text mixing Chinese, English, digits and punctuation.

var (
	consonants = []string{"b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "th", "st"}
	vowels     = []string{"a", "e", "i", "o", "u"}
	cjkPunct   = []string{"，", "。", "！", "？", "“", "”", "《", "》", "、", "：", "；", "（", "）"}
)

func syllables() []string {
	var out []string
	for _, c := range consonants {
		for _, v := range vowels {
			out = append(out, c+v)
		}
	}
	return out
}

// synthVocabTokens returns about 30k tokens: specials, ASCII and CJK punctuation, digits,
// single letters (so most Latin words split rather than become [UNK]), the CJK Unified
// Ideographs block up to U+9FA5, every syllable and syllable pair as a word start, and
// every syllable as a continuation.
func synthVocabTokens() []string {
	toks := []string{PadToken, UnkToken, ClsToken, SepToken, MaskToken}
	for r := rune(33); r < 127; r++ {
		if isASCIIPunct(r) {
			toks = append(toks, string(r))
		}
	}
	toks = append(toks, cjkPunct...)
	for d := '0'; d <= '9'; d++ {
		toks = append(toks, string(d), "##"+string(d))
	}
	for _, s := range []string{"19", "20", "##00", "##23", "##99"} {
		toks = append(toks, s)
	}
	letters := "abcdefghijklmnopqrstuvwxyzéïñσςοδαABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for _, l := range letters {
		toks = append(toks, string(l), "##"+string(l))
	}
	for r := rune(0x4E00); r <= 0x9FA5; r++ {
		toks = append(toks, string(r))
	}
	syl := syllables()
	for _, s := range syl {
		if len(s) > 1 { // one-letter syllables are already there
			toks = append(toks, s, "##"+s)
		}
	}
	for _, s1 := range syl {
		for _, s2 := range syl {
			toks = append(toks, s1+s2)
		}
	}
	seen := make(map[string]bool, len(toks))
	out := toks[:0]
	for _, t := range toks {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func synthTokenizer(t testing.TB, o Options) *Tokenizer {
	t.Helper()
	v, err := NewVocab(synthVocabTokens())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := New(v, o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// oddities are the inputs where BERT tokenizers tend to disagree; genText sprinkles them in
// when asked.
var oddities = []string{
	"\x00", "\u200b", "\u00ad", "\ufffd", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\u2028",
	"[SEP]", "[MASK]", "[cls]", "[SE\x00P]", "[SEP\u0301]", "[[CLS]", "Café", "cafe\u0301", "naïve", "İstanbul",
	"ΟΔΟΣ", "한국", "\uf900", "e\u0301\u0302", "～", "$", "^", "`", "\u1fef", "\u037e",
	"\U00020000", "\U0002a6d7", "ＡＢＣ", "１２３", "ﬁ", "\u0301", "Straße",
}

// genText returns random text of at least n bytes. With odd set it also mixes in oddities.
func genText(r *rand.Rand, n int, odd bool) string {
	syl := syllables()
	var sb strings.Builder
	sb.Grow(n + 64)
	for sb.Len() < n {
		switch p := r.IntN(100); {
		case p < 50: // a Chinese clause, mostly common ideographs
			for k := 1 + r.IntN(20); k > 0; k-- {
				sb.WriteRune(rune(0x4E00 + r.IntN(0x9FA5-0x4E00+1)))
			}
			sb.WriteString(cjkPunct[r.IntN(len(cjkPunct))])
		case p < 82: // an English word of one to four syllables
			if sb.Len() > 0 && r.IntN(2) == 0 {
				sb.WriteByte(' ')
			}
			w := ""
			for k := 1 + r.IntN(4); k > 0; k-- {
				w += syl[r.IntN(len(syl))]
			}
			if r.IntN(5) == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			sb.WriteString(w)
			if r.IntN(8) == 0 {
				sb.WriteString([]string{",", ".", "!", "?", "'s", "-"}[r.IntN(6)])
			}
			sb.WriteByte(' ')
		case p < 92: // a number
			for k := 1 + r.IntN(6); k > 0; k-- {
				sb.WriteByte(byte('0' + r.IntN(10)))
			}
		default:
			if odd {
				sb.WriteString(oddities[r.IntN(len(oddities))])
			} else {
				sb.WriteString([]string{" ", "\n", "(", ")", "%", "：", "…"}[r.IntN(7)])
			}
		}
	}
	return sb.String()
}
