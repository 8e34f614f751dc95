package miniclue

import (
	"hash/fnv"
	"strings"
)

// OCNLI: a premise states two to four facts about one or two people; each premise gets one
// hypothesis per label, as in the original collection. Facts follow fixed world rules: a
// person lives in one city, works for one employer, has one job and one age (functional
// attributes), but may have visited many places and keep several kinds of pets. Hence
// "不住在<other city>" is entailed, "住在<other city>" contradicted, and "去过<other place>"
// neutral. Hypernyms (一座城市, 一家银行, 宠物, the city a scenic spot lies in), number
// comparisons (满/不到 N 岁) and role swaps (A比B大 → B比A大) decide the rest. Negation,
// numbers and every attribute appear under all three labels.

type ocnliRow struct {
	Level     string `json:"level"`
	Sentence1 string `json:"sentence1"`
	Sentence2 string `json:"sentence2"`
	Label     string `json:"label"`
	Label0    string `json:"label0"`
	Label1    string `json:"label1"`
	Label2    string `json:"label2"`
	Label3    string `json:"label3"`
	Label4    string `json:"label4"`
	Genre     string `json:"genre"`
	PremID    string `json:"prem_id"`
	ID        int    `json:"id"`
}

type ocnliTestRow struct {
	ID        int    `json:"id"`
	Sentence1 string `json:"sentence1"`
	Sentence2 string `json:"sentence2"`
}

var nliLabels = []string{"entailment", "neutral", "contradiction"}

type nliPair struct {
	premise, hypothesis string
	level, genre        string
	dissent             []int    // annotators (0..4) who chose another label than the majority
	votes               []string // fixed votes for "-" rows, which have no majority
}

var ocnliTask = &task{
	name:      "ocnli",
	trainFile: "train.50k.json",
	few:       "ocnli",
	sizes:     [3]int{2400, 450, 300},
	fewSize:   32,
	labels:    nliLabels,
	noise:     0.04,
	unit:      ocnliUnit,
	encode: func(it item, form rowForm, id int) any {
		p := it.data.(nliPair)
		if form == formTest {
			return ocnliTestRow{ID: id, Sentence1: p.premise, Sentence2: p.hypothesis}
		}
		v := p.votes
		if v == nil {
			v = []string{it.label, it.label, it.label, it.label, it.label}
			for k, who := range p.dissent {
				v[who] = nliLabels[(indexOf(nliLabels, it.label)+1+k)%3]
			}
		}
		h := fnv.New32a()
		h.Write([]byte(p.premise))
		return ocnliRow{
			Level: p.level, Sentence1: p.premise, Sentence2: p.hypothesis, Label: it.label,
			Label0: v[0], Label1: v[1], Label2: v[2], Label3: v[3], Label4: v[4],
			Genre: p.genre, PremID: p.genre + "_" + itoa(int(h.Sum32()%100000)), ID: id,
		}
	},
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

// profile is what the premise says about one person; zero values mean "not said".
type profile struct {
	p       person
	city    string
	comp    company
	job     string
	age     int
	pet     int // index into pets, -1 for none said
	petN    int
	visited int // index into scenes, -1 for none said
	// Negated facts ("没去过故宫", "没有养狗"): -1 for none said. They keep negation words
	// from marking contradictions: restating one is an entailment that contains 没.
	noVisit int
	noPet   int
}

// premise is the world state a premise describes.
type premise struct {
	people  []*profile
	olderBy int  // people[0] is older than people[1] by this many years (0: not said)
	teaches bool // people[0] is people[1]'s teacher
}

var attrNames = []string{"city", "comp", "job", "age", "pet", "visited"}

func (pr *profile) has(attr string) bool {
	switch attr {
	case "city":
		return pr.city != ""
	case "comp":
		return pr.comp.name != ""
	case "job":
		return pr.job != ""
	case "age":
		return pr.age > 0
	case "pet":
		return pr.pet >= 0
	default:
		return pr.visited >= 0
	}
}

// Surface forms of the facts; {P} person, {V} value, {N} number, {A} animal, {U} measure word.
var factForms = map[string][]string{
	"city":    {"{P}住在{V}", "{P}家在{V}", "{P}一直在{V}生活", "{P}定居在{V}"},
	"comp":    {"{P}在{V}上班", "{P}是{V}的员工", "{P}就职于{V}", "{P}在{V}工作"},
	"job":     {"{P}是一名{V}", "{P}的职业是{V}", "{P}做{V}这一行", "{P}是个{V}"},
	"age":     {"{P}今年{N}岁", "{P}已经{N}岁了", "{P}今年刚好{N}岁"},
	"pet":     {"{P}养了{N}{U}{A}", "{P}家里有{N}{U}{A}", "{P}养着{N}{U}{A}"},
	"visited": {"{P}去过{V}", "{P}游览过{V}", "{P}上个月去了{V}", "{P}曾经去过{V}"},
}

var negForms = map[string][]string{
	"city":    {"{P}不住在{V}", "{P}没有在{V}生活", "{P}家不在{V}"},
	"comp":    {"{P}不在{V}上班", "{P}不是{V}的员工", "{P}没有在{V}工作"},
	"job":     {"{P}不是{V}", "{P}的职业不是{V}", "{P}没做过{V}"},
	"pet":     {"{P}没有养{A}", "{P}家里没有{A}"},
	"visited": {"{P}没有去过{V}", "{P}从没去过{V}", "{P}没游览过{V}"},
}

// say renders one attribute statement about pr with value fields taken from v.
func say(r *rng, forms map[string][]string, attr string, pr *profile, v *profile) string {
	vals := map[string]string{"P": pr.p.name}
	switch attr {
	case "city":
		vals["V"] = v.city
	case "comp":
		vals["V"] = v.comp.name
	case "job":
		vals["V"] = v.job
	case "age":
		vals["N"] = itoa(v.age)
	case "pet":
		vals["N"], vals["U"], vals["A"] = itoa(v.petN), pets[v.pet].measure, pets[v.pet].animal
	case "visited":
		vals["V"] = scenes[v.visited].name
	}
	return render(pick(r, forms[attr]), vals)
}

// randomValue fills attr of pr with a fresh value, different from what not holds.
func randomValue(r *rng, attr string, pr, not *profile) {
	for {
		switch attr {
		case "city":
			pr.city = city(r)
		case "comp":
			pr.comp = newCompany(r)
		case "job":
			pr.job = pick(r, positions)
		case "age":
			pr.age = r.between(20, 70)
		case "pet":
			pr.pet, pr.petN = r.intn(len(pets)), r.between(1, 6)
		case "visited":
			pr.visited = r.intn(len(scenes))
		}
		if not == nil || !sameValue(attr, pr, not) {
			return
		}
	}
}

func sameValue(attr string, a, b *profile) bool {
	switch attr {
	case "city":
		return a.city == b.city
	case "comp":
		return a.comp.name == b.comp.name
	case "job":
		return a.job == b.job
	case "age":
		return a.age == b.age
	case "pet":
		return a.pet == b.pet
	default:
		if a.visited < 0 || b.visited < 0 {
			return a.visited == b.visited
		}
		return a.visited == b.visited || scenes[a.visited].city == scenes[b.visited].city
	}
}

func blank(p person) *profile { return &profile{p: p, pet: -1, visited: -1, noVisit: -1, noPet: -1} }

// addNegated gives pf one negated fact that does not clash with what pf already has: the
// place lies in another city than a visited one, the animal differs from a kept one.
func addNegated(r *rng, pf *profile) string {
	tmp := blank(pf.p)
	if r.chance(0.5) {
		randomValue(r, "visited", tmp, nil)
		for pf.visited >= 0 && sameValue("visited", tmp, pf) {
			randomValue(r, "visited", tmp, nil)
		}
		pf.noVisit = tmp.visited
		return say(r, negForms, "visited", pf, tmp)
	}
	randomValue(r, "pet", tmp, nil)
	for pf.pet >= 0 && tmp.pet == pf.pet {
		randomValue(r, "pet", tmp, nil)
	}
	pf.noPet = tmp.pet
	return say(r, negForms, "pet", pf, tmp)
}

// newPremise draws the world state and renders it; later clauses about the same person
// sometimes use a pronoun, which the hypothesis then has to resolve.
func newPremise(r *rng) (*premise, string) {
	pr := &premise{}
	a := anyPerson(r)
	pr.people = []*profile{blank(a)}
	if r.chance(0.7) {
		b := anyPerson(r)
		for b.name == a.name {
			b = anyPerson(r)
		}
		pr.people = append(pr.people, blank(b))
		switch x := r.float(); {
		case x < 0.25:
			pr.olderBy = r.between(2, 15)
		case x < 0.4:
			pr.teaches = true
		}
	}
	type clause struct {
		who  int
		text string
	}
	var clauses []clause
	if pr.olderBy > 0 {
		x, y := pr.people[0].p.name, pr.people[1].p.name
		t := pick(r, []string{"{A}比{B}大{N}岁", "{B}比{A}小{N}岁"})
		clauses = append(clauses, clause{-1, render(t, map[string]string{"A": x, "B": y, "N": itoa(pr.olderBy)})})
	}
	if pr.teaches {
		rel := relationByName("teach")
		f := fact{rel: rel, s: pr.people[0].p.name, o: pr.people[1].p.name}
		clauses = append(clauses, clause{-1, f.say(r.intn(len(rel.forms)), false)})
	}
	n := r.between(2, 4) - len(clauses)/2
	for range n {
		who := r.intn(len(pr.people))
		pf := pr.people[who]
		attr := pick(r, attrNames)
		if pf.has(attr) || (attr == "age" && pr.olderBy > 0) {
			continue
		}
		randomValue(r, attr, pf, nil)
		clauses = append(clauses, clause{who, say(r, factForms, attr, pf, pf)})
	}
	if len(clauses) == 0 {
		pf := pr.people[0]
		randomValue(r, "city", pf, nil)
		clauses = append(clauses, clause{0, say(r, factForms, "city", pf, pf)})
	}
	if r.chance(0.45) {
		who := r.intn(len(pr.people))
		clauses = append(clauses, clause{who, addNegated(r, pr.people[who])})
	}
	r.shuffle(len(clauses), func(i, j int) { clauses[i], clauses[j] = clauses[j], clauses[i] })
	parts := make([]string, len(clauses))
	for i, c := range clauses {
		parts[i] = c.text
		if i > 0 && c.who >= 0 && c.who == clauses[i-1].who && r.chance(0.5) {
			name := pr.people[c.who].p.name
			parts[i] = strings.Replace(c.text, name, pr.people[c.who].p.pronoun(), 1)
		}
	}
	return pr, strings.Join(parts, "，") + "。"
}

func ocnliUnit(r *rng, _ string) []item {
	pr, text := newPremise(r)
	genre, level := pick(r, genres), pick(r, []string{"easy", "medium", "hard"})
	var out []item
	for _, label := range nliLabels {
		h := hypothesis(r, pr, label)
		p := nliPair{premise: text, hypothesis: h, level: level, genre: genre}
		switch x := r.float(); {
		case x < 0.1:
			p.dissent = []int{r.intn(5), 0}
			p.dissent[1] = (p.dissent[0] + 1 + r.intn(4)) % 5
		case x < 0.35:
			p.dissent = []int{r.intn(5)}
		}
		out = append(out, item{label: label, keys: []string{text}, texts: []string{text, h}, data: p})
	}
	// A few hypotheses got no majority from the annotators; their label is "-" and readers
	// must drop them, as with the real files.
	if r.chance(0.05) {
		h := hypothesis(r, pr, pick(r, nliLabels))
		v := []string{"entailment", "entailment", "neutral", "neutral", "contradiction"}
		r.shuffle(5, func(i, j int) { v[i], v[j] = v[j], v[i] })
		out = append(out, item{label: "-", keys: []string{text}, texts: []string{text, h},
			data: nliPair{premise: text, hypothesis: h, level: level, genre: genre, votes: v}})
	}
	r.shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
