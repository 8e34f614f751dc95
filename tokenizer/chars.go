package tokenizer

import (
	"sync"
	"unicode"
)

// Character classes used by the basic tokenizer. They are looked up once per input rune, so
// the Basic Multilingual Plane is precomputed into a flat table: one byte load instead of
// several binary searches over unicode range tables. Runes above the BMP (rare in CLUE text
// apart from CJK extension ideographs) fall back to the range tables.
const (
	classControl uint8 = 1 << iota // dropped by text cleaning
	classSpace                     // word boundary
	classPunct                     // split off as its own word
	classChinese                   // gets spaces around it when TokenizeChineseChars is set
	classMn                        // Mn: dropped by accent stripping
)

var (
	bmpOnce  sync.Once
	bmpClass *[0x10000]uint8
)

// assignedTables together cover every assigned code point. Go has no table for Cn
// (unassigned), which Python's unicodedata reports and HF's cleaning drops as a "C*"
// category, so unassigned is computed as "in none of these".
var assignedTables = []*unicode.RangeTable{
	unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C,
}

func buildBMPClasses() {
	var t [0x10000]uint8
	var assigned [0x10000]bool
	mark := func(tab *unicode.RangeTable, f func(r rune)) {
		for _, rg := range tab.R16 {
			for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
				f(r)
			}
		}
		for _, rg := range tab.R32 {
			for r := rune(rg.Lo); r <= rune(rg.Hi) && r < 0x10000; r += rune(rg.Stride) {
				f(r)
			}
		}
	}
	for _, tab := range assignedTables {
		mark(tab, func(r rune) { assigned[r] = true })
	}
	mark(unicode.C, func(r rune) { t[r] |= classControl })
	for r := range assigned {
		if !assigned[r] {
			t[r] |= classControl
		}
	}
	mark(unicode.P, func(r rune) { t[r] |= classPunct })
	mark(unicode.Zs, func(r rune) { t[r] |= classSpace })
	mark(unicode.White_Space, func(r rune) { t[r] |= classSpace })
	mark(unicode.Mn, func(r rune) { t[r] |= classMn })
	// HF treats tab, newline and carriage return as whitespace, not control characters.
	for _, r := range []rune{'\t', '\n', '\r'} {
		t[r] = classSpace
	}
	// White_Space also lists control characters (\v, \f, U+0085...). Cleaning deletes those
	// before the whitespace split ever sees them, so control wins.
	for r := range t {
		if t[r]&classControl != 0 {
			t[r] &^= classSpace
		}
	}
	for r := rune(0); r < 0x80; r++ {
		if isASCIIPunct(r) {
			t[r] |= classPunct
		}
	}
	for r := rune(0); r < 0x10000; r++ {
		if isChineseChar(r) {
			t[r] |= classChinese
		}
	}
	bmpClass = &t
}

// classOf returns the class bits of r. U+0000 and U+FFFD (also what invalid UTF-8 decodes
// to) count as control, since cleaning deletes them too.
func classOf(r rune) uint8 {
	if r == 0 || r == unicode.ReplacementChar {
		return classControl
	}
	if r >= 0 && r < 0x10000 {
		return bmpClass[r]
	}
	var c uint8
	if !unicode.In(r, assignedTables...) || unicode.Is(unicode.C, r) {
		return classControl
	}
	if unicode.Is(unicode.P, r) {
		c |= classPunct
	}
	if unicode.Is(unicode.White_Space, r) || unicode.Is(unicode.Zs, r) {
		c |= classSpace
	}
	if unicode.Is(unicode.Mn, r) {
		c |= classMn
	}
	if isChineseChar(r) {
		c |= classChinese
	}
	return c
}

// isASCIIPunct mirrors HF: every non-alphanumeric printable ASCII character is punctuation,
// including symbols such as $, ^ and ` that Unicode does not put in a P* category.
func isASCIIPunct(r rune) bool {
	return (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126)
}

// isChineseChar reports whether r lies in one of the CJK blocks HF's BasicTokenizer
// isolates: Unified Ideographs and Extensions A to E, plus the two Compatibility Ideographs
// blocks. Hiragana, Katakana and Hangul are deliberately not included, matching HF.
func isChineseChar(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}

// lowerRune appends Python's str.lower() of a single character to dst. Python applies the
// full (SpecialCasing) mapping; the only unconditional multi-rune lowercase mapping is
// U+0130, which becomes "i" + U+0307. HF lowercases text one character at a time (a regex
// over the raw text), so the context-dependent final-sigma rule never fires and Σ always
// becomes σ, which is what unicode.ToLower gives.
func lowerRune(dst []rune, r rune) []rune {
	if r < 0x80 {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(dst, r)
	}
	if r == 0x130 {
		return append(dst, 'i', 0x307)
	}
	return append(dst, unicode.ToLower(r))
}
