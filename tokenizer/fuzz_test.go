package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzOptions covers every normalization path: lower+strip, lower only, cased NFC, cased
// with stripping, no CJK isolation, literal specials split, and a tiny word limit.
func fuzzOptions() []Options {
	d := DefaultOptions()
	lowerKeep := d
	lowerKeep.StripAccents = boolPtr(false)
	casedStrip := Options{TokenizeChineseChars: true, StripAccents: boolPtr(true)}
	split := d
	split.SplitSpecialTokens = true
	short := Options{TokenizeChineseChars: true, MaxInputCharsPerWord: 4}
	return []Options{d, lowerKeep, {TokenizeChineseChars: true}, casedStrip, {DoLowerCase: true}, split, short}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range oddities {
		f.Add(s, 8)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 8; i++ {
		f.Add(genText(r, 40+i*20, true), i*3)
	}
	f.Add("", 0)
	f.Add("a\xffb\xc3", 3)
	f.Add(strings.Repeat("\u0301", 40)+"a"+strings.Repeat("\u0300", 40), 5)
	var toks []*Tokenizer
	for _, o := range fuzzOptions() {
		toks = append(toks, synthTokenizer(f, o))
	}
	f.Fuzz(func(t *testing.T, text string, maxLen int) {
		maxLen %= 600
		for _, tok := range toks {
			checkTokenizeInvariants(t, tok, text)
			checkEncodeInvariants(t, tok, text, maxLen)
		}
	})
}

func checkTokenizeInvariants(t *testing.T, tok *Tokenizer, text string) {
	t.Helper()
	pieces, offs := tok.Tokenize(text)
	if len(pieces) != len(offs) {
		t.Fatalf("%q: %d pieces, %d offsets", text, len(pieces), len(offs))
	}
	n := utf8.RuneCountInString(text)
	prev := [2]int{0, 0}
	for i, o := range offs {
		if o[0] < 0 || o[0] >= o[1] || o[1] > n {
			t.Fatalf("%q: piece %d %q has offsets %v outside [0,%d] or empty", text, i, pieces[i], o, n)
		}
		if o[0] < prev[0] || o[1] < prev[1] {
			t.Fatalf("%q: piece %d offsets %v go back from %v", text, i, o, prev)
		}
		prev = o
		if _, ok := tok.Vocab().ID(pieces[i]); !ok {
			t.Fatalf("%q: piece %q is not in the vocabulary", text, pieces[i])
		}
	}
	// Pooled scratch buffers must not leak state between calls.
	again, offs2 := tok.Tokenize(text)
	if !slices.Equal(pieces, again) || !slices.Equal(offs, offs2) {
		t.Fatalf("%q: second call differs: %v vs %v", text, pieces, again)
	}
}

func checkEncodeInvariants(t *testing.T, tok *Tokenizer, text string, maxLen int) {
	t.Helper()
	pieces, _ := tok.Tokenize(text)
	e := tok.Encode(text, maxLen)
	checkEncodingShape(t, tok, e)
	want := len(pieces) + 2
	if maxLen > 0 {
		want = min(want, max(maxLen, 2))
	}
	if e.Len() != want {
		t.Fatalf("Encode(%q, %d) has %d tokens, want %d", text, maxLen, e.Len(), want)
	}
	if !slices.Equal(e.Tokens[1:e.Len()-1], pieces[:e.Len()-2]) {
		t.Fatalf("Encode(%q, %d) pieces are not a prefix of Tokenize's", text, maxLen)
	}
	// Split the text in two to exercise the pair path on the same material.
	cut := len(text) / 3
	pa, pb := text[:cut], text[cut:]
	ep := tok.EncodePair(pa, pb, maxLen)
	checkEncodingShape(t, tok, ep)
	na, _ := tok.Tokenize(pa)
	nb, _ := tok.Tokenize(pb)
	wantPair := len(na) + len(nb) + 3
	if maxLen > 0 {
		wantPair = min(wantPair, max(maxLen, 3))
	}
	if ep.Len() != wantPair {
		t.Fatalf("EncodePair(%q, %q, %d) has %d tokens, want %d", pa, pb, maxLen, ep.Len(), wantPair)
	}
	seps := 0
	for i, seg := range ep.Segment {
		if seg < 0 {
			if ep.Offsets[i] != [2]int{} {
				t.Fatalf("special token at %d has offsets %v", i, ep.Offsets[i])
			}
			if i > 0 {
				seps++
			}
			continue
		}
		if int64(seg) != ep.TypeIDs[i] || (seps == 0) != (seg == 0) {
			t.Fatalf("position %d: segment %d, type %d after %d separators", i, seg, ep.TypeIDs[i], seps)
		}
	}
}

// TestInvariantsOnRandomText runs the fuzz invariants over a larger deterministic sample so
// plain `go test` exercises them without the fuzzing engine.
func TestInvariantsOnRandomText(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, o := range fuzzOptions() {
		tok := synthTokenizer(t, o)
		for i := 0; i < 200; i++ {
			text := genText(r, r.IntN(300), true)
			checkTokenizeInvariants(t, tok, text)
			checkEncodeInvariants(t, tok, text, r.IntN(80)-5)
		}
	}
}
