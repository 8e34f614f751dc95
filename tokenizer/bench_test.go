package tokenizer

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkTokenize measures throughput on about 1 MB of mixed Chinese/English text with a
// 30k-entry vocabulary; the MB/s column is bytes of UTF-8 input per second.
func BenchmarkTokenize(b *testing.B) {
	tok := synthTokenizer(b, DefaultOptions())
	text := genText(rand.New(rand.NewPCG(3, 5)), 1<<20, false)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var pieces int
	b.ResetTimer()
	for b.Loop() {
		p, _ := tok.Tokenize(text)
		pieces = len(p)
	}
	b.ReportMetric(float64(pieces), "pieces/op")
}

// BenchmarkEncodePair measures the per-example cost the training loop pays: a short pair
// of sentences at a typical CLUE length.
func BenchmarkEncodePair(b *testing.B) {
	tok := synthTokenizer(b, DefaultOptions())
	r := rand.New(rand.NewPCG(9, 9))
	ta, tb := genText(r, 120, false), genText(r, 200, false)
	b.SetBytes(int64(len(ta) + len(tb)))
	b.ReportAllocs()
	for b.Loop() {
		tok.EncodePair(ta, tb, 128)
	}
}
