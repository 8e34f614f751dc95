package miniclue

// AFQMC: two sentences are paraphrases ("1") exactly when they state the same
// (subject, relation, object) fact with the same polarity. Both sides are drawn from the
// same pool of surface forms and wrappers whatever the label, so word overlap says little:
// the hard negatives swap the roles of an asymmetric relation, change one argument to a
// confusable one, change the relation, or flip the polarity of one side only. For symmetric
// relations ("和…结婚") a role swap is still a paraphrase.
//
// Besides the hard negatives, afqmcUnrelated of them pair two unrelated questions, as most
// non-matching pairs in a question-matching log are. With hard negatives only, fine-tuning on
// the built-in backbone stayed at chance: every negative differs from a paraphrase in one
// slot, and nothing separates the classes before the model can compare slots. The unrelated
// pairs are told apart by how much the two sentences share, which gives training a first step.

type afqmcRow struct {
	Sentence1 string `json:"sentence1"`
	Sentence2 string `json:"sentence2"`
	Label     string `json:"label"`
}

type afqmcTestRow struct {
	ID        int    `json:"id"`
	Sentence1 string `json:"sentence1"`
	Sentence2 string `json:"sentence2"`
}

type afqmcPair struct {
	s1, s2    string
	unrelated bool // a negative stating a fact with other arguments and relation
}

// afqmcUnrelated is the share of negatives that pair unrelated facts.
const afqmcUnrelated = 0.4

var afqmcTask = &task{
	name:        "afqmc",
	trainFile:   "train.json",
	sizes:       [3]int{16000, 400, 300},
	labels:      []string{"0", "1"},
	noise:       0.04,
	balanced:    true,
	singleLabel: true,
	unit:        afqmcUnit,
	encode: func(it item, form rowForm, id int) any {
		p := it.data.(afqmcPair)
		if form == formTest {
			return afqmcTestRow{ID: id, Sentence1: p.s1, Sentence2: p.s2}
		}
		return afqmcRow{Sentence1: p.s1, Sentence2: p.s2, Label: it.label}
	},
}

// sameKinds lists the relations other than rel with rel's argument kinds.
func sameKinds(rel *relation) []*relation {
	var out []*relation
	for i := range relations {
		o := &relations[i]
		if o != rel && o.subj == rel.subj && o.obj == rel.obj {
			out = append(out, o)
		}
	}
	return out
}

func afqmcUnit(r *rng, want string) []item {
	rel := &relations[r.intn(len(relations))]
	f := newFact(r, rel)
	neg := r.chance(0.2)
	forms := len(rel.formsOf(neg))
	i := r.intn(forms)
	j := (i + 1 + r.intn(forms-1)) % forms // a different form on the other side
	core1 := f.say(i, neg)
	var core2 string
	unrelated := false
	if want == "0" && r.chance(afqmcUnrelated) {
		unrelated = true
		u := unrelatedFact(r, f)
		core2 = u.say(r.intn(len(u.rel.formsOf(neg))), neg)
	} else if want == "1" {
		g := f
		if rel.symmetric && r.chance(0.5) {
			g.s, g.o = f.o, f.s
		}
		core2 = g.say(j, neg)
	} else {
		core2 = afqmcNegative(r, f, j, neg)
	}
	if r.chance(0.5) {
		core1, core2 = core2, core1
	}
	s1 := render(pick(r, assertWrappers), map[string]string{"X": core1})
	s2 := render(pick(r, assertWrappers), map[string]string{"X": core2})
	return []item{{
		label: want,
		keys:  []string{core1, core2},
		texts: []string{s1, s2},
		data:  afqmcPair{s1, s2, unrelated},
	}}
}

// unrelatedFact is a fact of another relation that shares no argument with f.
func unrelatedFact(r *rng, f fact) fact {
	for {
		o := &relations[r.intn(len(relations))]
		g := newFact(r, o)
		if o != f.rel && g.s != f.s && g.s != f.o && g.o != f.s && g.o != f.o {
			return g
		}
	}
}

// afqmcNegative states a different fact than f, with form j (or the other polarity).
func afqmcNegative(r *rng, f fact, j int, neg bool) string {
	rel := f.rel
	// Shares of the negative kinds: role swap where it changes the meaning, polarity flip,
	// relation change where another relation takes the same arguments, argument change.
	swapP, relP := 0.0, 0.0
	if !rel.symmetric && rel.subj == rel.obj {
		swapP = 0.35
	}
	others := sameKinds(rel)
	if len(others) > 0 {
		relP = 0.18
	}
	switch x := r.float(); {
	case x < swapP:
		return fact{rel: rel, s: f.o, o: f.s}.say(j, neg)
	case x < swapP+0.17:
		// The form index is reused modulo the other polarity's list length.
		return f.say(j, !neg)
	case x < swapP+0.17+relP:
		o := pick(r, others)
		return fact{rel: o, s: f.s, o: f.o}.say(r.intn(len(o.forms)), neg)
	}
	g := f
	if r.chance(0.5) {
		for g.s == f.s || g.s == f.o {
			g.s = argument(r, rel.subj, f.s)
		}
	} else {
		for g.o == f.o || g.o == f.s {
			g.o = argument(r, rel.obj, f.o)
		}
	}
	return g.say(j, neg)
}
