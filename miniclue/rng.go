package miniclue

import (
	"hash/fnv"
	"strconv"
	"strings"
	"unicode/utf8"
)

// rng is a small splitmix64 generator. The package keeps its own generator instead of
// math/rand because byte-identical output across Go releases is part of the contract, and
// only a fully specified algorithm (including how integers in a range are drawn) can give that.
type rng struct{ s uint64 }

// newRNG derives an independent stream from the seed and a list of names (task, split, …),
// so that generating one task or split never shifts the random draws of another.
func newRNG(seed int64, parts ...string) *rng {
	h := fnv.New64a()
	h.Write([]byte(strconv.FormatInt(seed, 10)))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	r := &rng{s: h.Sum64()}
	r.next() // one warm-up step so that nearby hashes do not give correlated first values
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a value in [0, n); n <= 0 gives 0. The modulo bias is below 2^-40 for the
// small ranges used here, which does not matter for data generation.
func (r *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return int(r.next() % uint64(n))
}

// between returns a value in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func (r *rng) chance(p float64) bool { return r.float() < p }

func (r *rng) shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, r.intn(i+1))
	}
}

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// pickOther returns an element of xs different from not (xs must hold two distinct values).
func pickOther[T comparable](r *rng, xs []T, not T) T {
	for {
		if x := pick(r, xs); x != not {
			return x
		}
	}
}

// span is a filled slot: its name, its text and its rune offset in the rendered string.
type span struct {
	slot  string
	text  string
	start int
}

// fill renders a template whose slots are written {NAME}; it returns the text and every
// filled slot with its rune offset, which WSC and CLUENER need for their span indices.
// A slot missing from vals is left verbatim, so template mistakes show up in the output
// (and in the tests) instead of silently vanishing.
func fill(tmpl string, vals map[string]string) (string, []span) {
	var b strings.Builder
	var spans []span
	n := 0
	for len(tmpl) > 0 {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:i])
		n += utf8.RuneCountInString(tmpl[:i])
		name := tmpl[i+1 : i+j]
		v, ok := vals[name]
		if !ok {
			v = tmpl[i : i+j+1]
		} else {
			spans = append(spans, span{slot: name, text: v, start: n})
		}
		b.WriteString(v)
		n += utf8.RuneCountInString(v)
		tmpl = tmpl[i+j+1:]
	}
	return b.String(), spans
}

// render is fill without the offsets.
func render(tmpl string, vals map[string]string) string {
	s, _ := fill(tmpl, vals)
	return s
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

func itoa(n int) string { return strconv.Itoa(n) }
