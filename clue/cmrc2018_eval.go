package clue

import (
	"strings"
	"unicode"
)

// spanMetric averages a per-question score, maximised over the gold answers, in percent.
func spanMetric(score func(gold, pred string) float64) metricFunc {
	return func(_ *Task, gold []Example, pred []Prediction) (float64, error) {
		sum := 0.0
		for i, ex := range gold {
			best := 0.0
			for _, a := range ex.Answers {
				best = max(best, score(a.Text, pred[i].Answer))
			}
			sum += best
		}
		return 100 * sum / float64(len(gold)), nil
	}
}

// spanStats is spanMetric's per-question score as an example statistic (column): the best
// over the gold answers, averaged by meanPercent.
func spanStats(column string, score func(gold, pred string) float64) exampleMetric {
	return exampleMetric{columns: fixedColumns(column), combine: meanPercent,
		row: func(_ *Task, gold Example, pred Prediction) ([]float64, error) {
			best := 0.0
			for _, a := range gold.Answers {
				best = max(best, score(a.Text, pred.Answer))
			}
			return []float64{best}, nil
		}}
}

// cmrcPunct is the official evaluator's punctuation list. Its "……" entry is two characters and
// never matches the single characters it is compared with, so "…" is not in the set.
var cmrcPunct = map[rune]bool{}

func init() {
	for _, r := range "-:_*^/\\~`+=，。：？！“”；’《》·、「」（）－～『』" {
		cmrcPunct[r] = true
	}
}

func cmrcEM(gold, pred string) float64 {
	if stripPunct(gold) == stripPunct(pred) {
		return 1
	}
	return 0
}

func stripPunct(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(strings.ToLower(s)) {
		if !cmrcPunct[r] {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func cmrcF1(gold, pred string) float64 {
	g, p := cmrcTokens(gold), cmrcTokens(pred)
	n := longestCommonRun(g, p)
	if n == 0 {
		return 0
	}
	prec, rec := float64(n)/float64(len(p)), float64(n)/float64(len(g))
	return 2 * prec * rec / (prec + rec)
}

// cmrcTokens segments as the evaluator does: the punctuation list is dropped first (without
// ending a word), CJK unified ideographs (U+4E00–U+9FA5) stand alone, and other runs are
// split into words at white space, with other ASCII punctuation as tokens of its own.
func cmrcTokens(s string) []string {
	var out []string
	var word []rune
	flush := func() {
		if len(word) > 0 {
			out = append(out, string(word))
			word = word[:0]
		}
	}
	for _, r := range strings.TrimSpace(strings.ToLower(s)) {
		switch {
		case cmrcPunct[r]:
			// Dropped without ending the word: "tsinghua-university" is one token.
		case r >= 0x4E00 && r <= 0x9FA5:
			flush()
			out = append(out, string(r))
		case unicode.IsSpace(r):
			flush()
		case r < 0x80 && unicode.IsPunct(r) && !(inNumber(word) && (r == '.' || r == ',')):
			// NLTK keeps "3.5" and "1,000" whole; a mark after anything else stands alone.
			flush()
			out = append(out, string(r))
		default:
			word = append(word, r)
		}
	}
	flush()
	return out
}

// inNumber reports whether a word so far is digits (a following '.' or ',' may be part of it).
func inNumber(word []rune) bool {
	return len(word) > 0 && unicode.IsDigit(word[len(word)-1])
}

// longestCommonRun is the length of the longest common contiguous run of tokens.
func longestCommonRun(a, b []string) int {
	best := 0
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			cur[j+1] = 0
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
				best = max(best, cur[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return best
}
