package miniclue

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// rowForm selects which official record shape an example is written in.
type rowForm int

const (
	formLabelled rowForm = iota // CLUE train/dev
	formTest                    // CLUE test.json and FewCLUE test.json: no label, has an id
	formFew                     // FewCLUE train/dev/test_public (TNEWS labels become ints there)
)

// item is one generated example before it is written.
type item struct {
	label string   // current label, after noise; "" for CLUENER
	gold  string   // label before noise, kept for tests and reports
	keys  []string // the texts that make the example what it is: no dev/test key may occur in train
	texts []string // every text field: dev/test ones are kept out of corpus.txt
	data  any      // task-specific payload for encode
}

// task describes one CLUE task: its official layout, sizes and generator.
type task struct {
	name      string
	trainFile string
	few       string // FewCLUE folder name; "" when FewCLUE has no such task
	sizes     [3]int // train, dev, test rows at Scale 1
	fewSize   int    // rows per FewCLUE train_k/dev_k file
	labels    []string
	noise     float64 // share of labels flipped to another label (CLUENER: of entities)
	balanced  bool    // draw labels in equal shares (FewCLUE OCNLI is left unbalanced)
	// singleLabel marks units that return exactly one item with the wanted label.
	singleLabel bool
	// unit makes one generation unit (a premise with its hypotheses, a WSC text with its
	// candidate spans, …) aiming at label want; it may return several items.
	unit   func(r *rng, want string) []item
	encode func(it item, form rowForm, id int) any
	// documents, when set, writes a split ("train", "dev", "trial", "test") as files of the
	// task's own layout instead of JSON lines: CMRC2018 one SQuAD-style document per split,
	// C3 d- and m- files for train and dev and test1.1.json, CHID data and answer files.
	documents func(items []item, form rowForm, split string) ([]docFile, error)
	trialSize int // rows of trial.json (CMRC2018), 0 for none
}

// docFile is one file of a split, encoded, and its record count.
type docFile struct {
	name string
	data []byte
	rows int
}

func (t *task) dir() string { return t.name + "_public" }

var tasks = []*task{afqmcTask, tnewsTask, ocnliTask, wscTask, cslTask, cluenerTask, cmrcTask, c3Task, chidTask}

// TaskNames lists the tasks Generate knows, in their CLUE spelling.
func TaskNames() []string {
	names := make([]string, len(tasks))
	for i, t := range tasks {
		names[i] = t.name
	}
	return names
}

func taskByName(name string) *task {
	for _, t := range tasks {
		if t.name == name {
			return t
		}
	}
	return nil
}

func scaled(n int, scale float64) int {
	return max(1, int(math.Round(float64(n)*scale)))
}

// splitSet holds every file's examples for one task.
type splitSet struct {
	train, dev, test, trial []item
	fewTrain, fewDev        [5][]item
	fewPublic, fewTestOnly  []item
}

// draw generates n items whose keys are new to seen and contain no banned text, flips
// labels for noise and shuffles them. Labels are drawn in a shuffled round-robin so every
// split is balanced; a rejected unit gives its label back, so rejections keep the balance.
func (t *task) draw(r *rng, n int, seen map[string]bool, banned needleIndex) ([]item, error) {
	var out []item
	var wants []string
	for tries := 0; len(out) < n; tries++ {
		if tries > 50*n+1000 {
			return nil, fmt.Errorf("%s: only %d of %d distinct examples after %d tries", t.name, len(out), n, tries)
		}
		want := ""
		if len(t.labels) > 0 {
			if !t.balanced {
				want = pick(r, t.labels)
			} else {
				if len(wants) == 0 {
					wants = append(wants, t.labels...)
					r.shuffle(len(wants), func(i, j int) { wants[i], wants[j] = wants[j], wants[i] })
				}
				want = wants[len(wants)-1]
			}
		}
		// Noise for single-label units: build the example for another label and give it the
		// drawn one, so the observed labels stay exactly balanced (FewCLUE TNEWS is 15 × 16).
		gen := want
		noisy := t.singleLabel && t.noise > 0 && r.chance(t.noise)
		if noisy {
			gen = pickOther(r, t.labels, want)
		}
		unit := t.unit(r, gen)
		if !fresh(unit, seen, banned) {
			continue
		}
		if t.balanced && len(wants) > 0 {
			wants = wants[:len(wants)-1]
		}
		for _, it := range unit {
			for _, k := range it.keys {
				seen[k] = true
			}
			it.gold = it.label
			switch {
			case noisy:
				it.label = want
			case !t.singleLabel && t.noise > 0 && len(t.labels) > 1 && it.label != "-" && r.chance(t.noise):
				it.label = pickOther(r, t.labels, it.label)
			}
			out = append(out, it)
		}
	}
	out = out[:n]
	r.shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}

func fresh(unit []item, seen map[string]bool, banned needleIndex) bool {
	for _, it := range unit {
		for _, k := range it.keys {
			if seen[k] || banned.foundIn(k) {
				return false
			}
		}
	}
	return true
}

// build generates all splits of one task. Evaluation splits come first, so that their
// contents do not depend on the training size, and training splits then avoid every
// evaluation text, both as a whole key and as a substring of a longer training text.
func (t *task) build(seed int64, scale float64) (*splitSet, error) {
	seen := map[string]bool{}
	s := &splitSet{}
	var err error
	var banned needleIndex
	gen := func(split string, n int) []item {
		if err != nil {
			return nil
		}
		var items []item
		items, err = t.draw(newRNG(seed, t.name, split), n, seen, banned)
		return items
	}
	testN, devN := scaled(t.sizes[2], scale), scaled(t.sizes[1], scale)
	s.test = gen("test", testN)
	s.dev = gen("dev", devN)
	if t.trialSize > 0 {
		s.trial = gen("trial", scaled(t.trialSize, scale))
	}
	if t.few != "" {
		s.fewPublic = gen("few/test_public", testN)
		s.fewTestOnly = gen("few/test", testN)
		for k := range 5 {
			s.fewDev[k] = gen(fmt.Sprintf("few/dev_%d", k), t.fewSize)
		}
	}
	protected := keysOf(s.test, s.dev, s.trial, s.fewPublic, s.fewTestOnly)
	for k := range 5 {
		protected = append(protected, keysOf(s.fewDev[k])...)
	}
	banned = newNeedleIndex(protected)
	s.train = gen("train", scaled(t.sizes[0], scale))
	if t.few != "" {
		for k := range 5 {
			s.fewTrain[k] = gen(fmt.Sprintf("few/train_%d", k), t.fewSize)
		}
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// keysOf joins the keys of items; an item with several keys counts as one text per key.
func keysOf(lists ...[]item) []string {
	var out []string
	for _, l := range lists {
		for _, it := range l {
			out = append(out, it.keys...)
		}
	}
	return out
}

// needleIndex finds whether a text contains any of a set of needles. Needles are bucketed
// by their first two runes, so a lookup costs one map probe per position of the text plus
// a prefix test per needle in the bucket, fast enough for every candidate example and every
// corpus paragraph against thousands of evaluation texts.
type needleIndex map[string][]string

func newNeedleIndex(needles []string) needleIndex {
	ix := needleIndex{}
	for _, n := range needles {
		if k, ok := firstTwo(n); ok {
			ix[k] = append(ix[k], n)
		}
	}
	return ix
}

// firstTwo returns the first two runes of s; a one-rune needle is not a meaningful text
// and is ignored.
func firstTwo(s string) (string, bool) {
	_, a := utf8.DecodeRuneInString(s)
	if a == len(s) {
		return "", false
	}
	_, b := utf8.DecodeRuneInString(s[a:])
	return s[:a+b], true
}

func (ix needleIndex) foundIn(s string) bool {
	if len(ix) == 0 {
		return false
	}
	for i := 0; i < len(s); {
		if k, ok := firstTwo(s[i:]); ok {
			for _, n := range ix[k] {
				if strings.HasPrefix(s[i:], n) {
					return true
				}
			}
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return false
}
