package clue

import (
	"fmt"
	"strings"
)

// wscLabels puts "true" (the pronoun refers to span1) at index 1, the usual positive class.
var wscLabels = []string{"false", "true"}

// WSC (CLUEWSC2020 = WSC 1.1): does the pronoun span2 refer to the noun phrase span1?
//
// Files (cluewsc2020_public.zip): train.json, dev.json, test.json. Records:
//
//	{"target": {"span1_text": "...", "span1_index": 5, "span2_text": "它", "span2_index": 37},
//	 "idx": 261, "label": "false", "text": "..."}
//
// Indices count characters (Unicode code points, as Python's str does), not bytes. train/dev
// identify records with "idx", test.json with "id". Labels "true" and "false" (a JSON boolean
// is accepted too).
//
// Input is a single text: span1 wrapped in '_' and span2 in '[' ']' at their character
// indices, as the FL-tuning scripts do, e.g. 小王把书借给了_老李_，因为[他]下周要考试。 The
// text at each index must equal the span text, otherwise the row is an error naming the field.
//
// FewCLUE (folder "cluewsc"): same fields. Submissions: cluewsc11_predict.json (CLUE 1.1),
// cluewscf_predict.json (FewCLUE). WSC 1.0 is the separate task wsc10.
func init() {
	Register(&Task{
		Name:          "wsc",
		Description:   "CLUEWSC2020 (WSC 1.1) pronoun resolution (binary, marked spans)",
		Kind:          Classification,
		Dirs:          []string{"cluewsc2020_public", "cluewsc2020", "cluewsc11", "wsc"},
		Files:         map[string]string{"train": "train.json", "dev": "dev.json", "test": "test.json"},
		Labels:        wscLabels,
		Decode:        decodeWSC,
		Submission:    "cluewsc11_predict.json",
		FewSubmission: "cluewscf_predict.json",
		Metrics:       classificationMetrics(),
		FewShotDir:    []string{"cluewsc"},
	})
}

func decodeWSC(raw []byte) (Example, error) {
	r, err := parseRecord(raw)
	if err != nil {
		return Example{}, err
	}
	return finish(r, wscLabels, nil, func(ex *Example) error {
		text, err := r.text("text")
		if err != nil {
			return err
		}
		tg, err := r.object("target")
		if err != nil {
			return err
		}
		var spans [2]span
		for i, s := range []struct{ name, open, close string }{{"span1", "_", "_"}, {"span2", "[", "]"}} {
			sp := span{field: tg.prefix + s.name, open: s.open, close: s.close}
			if sp.text, err = tg.text(s.name + "_text"); err != nil {
				return err
			}
			if sp.start, err = tg.int(s.name + "_index"); err != nil {
				return err
			}
			spans[i] = sp
		}
		ex.TextA, err = markSpans(text, spans[:])
		return err
	})
}

// span is a marked stretch of text, in characters.
type span struct {
	field       string // "target.span1", for errors
	text        string
	start       int
	open, close string
}

// markSpans inserts each span's markers around it. Building the output in one forward pass
// over the original characters is the same as inserting at the later index first: no index is
// shifted by an earlier insertion. Where markers meet at one position, closings come before
// openings, so adjacent spans read _A_[B], and nested spans close inner-first.
func markSpans(text string, spans []span) (string, error) {
	rs := []rune(text)
	for _, s := range spans {
		n := runeLen(s.text)
		if n == 0 {
			return "", fmt.Errorf("field %q: empty", s.field+"_text")
		}
		if s.start < 0 || s.start+n > len(rs) {
			return "", fmt.Errorf("field %q: span %q at character %d runs outside the text (%d characters)",
				s.field+"_index", s.text, s.start, len(rs))
		}
		if got := string(rs[s.start : s.start+n]); got != s.text {
			return "", fmt.Errorf("field %q: text at character %d is %q, but %s is %q",
				s.field+"_index", s.start, got, s.field+"_text", s.text)
		}
	}
	var b strings.Builder
	for p := 0; p <= len(rs); p++ {
		// Closings at p: the span that started later is the inner one and closes first.
		for _, s := range orderedMarks(spans, p, false) {
			b.WriteString(s.close)
		}
		// Openings at p: the span that ends later is the outer one and opens first.
		for _, s := range orderedMarks(spans, p, true) {
			b.WriteString(s.open)
		}
		if p < len(rs) {
			b.WriteRune(rs[p])
		}
	}
	return b.String(), nil
}

// orderedMarks returns the spans that open (or close) at character p, outer first for
// openings and inner first for closings; ties keep declaration order.
func orderedMarks(spans []span, p int, opening bool) []span {
	var out []span
	for _, s := range spans {
		end := s.start + runeLen(s.text)
		if (opening && s.start == p) || (!opening && end == p) {
			out = append(out, s)
		}
	}
	// Two spans at most in WSC: one swap suffices, and keeps this readable.
	if len(out) == 2 {
		a, b := out[0], out[1]
		aEnd, bEnd := a.start+runeLen(a.text), b.start+runeLen(b.text)
		if (opening && bEnd > aEnd) || (!opening && b.start > a.start) {
			out[0], out[1] = b, a
		}
	}
	return out
}
