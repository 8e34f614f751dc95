package miniclue

import (
	"fmt"
	"sort"
	"strings"
)

// CMRC2018: span extraction. A paragraph describes two or three people (where they live and
// work, their job, age, pets, places visited, who is older); every value is unique within
// the paragraph and questions name the person, so finding the answer means linking the
// value to the right person, across pronouns when a later clause says 他/她. The layout is
// the official SQuAD-style document: {"version", "data": [{"paragraphs": [{"id",
// "context", "qas": [{"question", "id", "answers": [{"text", "answer_start"}]}]}], "id",
// "title"}]}, answer_start counting characters. Dev and trial questions carry three
// answers (annotators sometimes include a unit word or not); test questions carry none.

type cmrcDoc struct {
	Version string        `json:"version"`
	Data    []cmrcArticle `json:"data"`
}

type cmrcArticle struct {
	Paragraphs []cmrcParagraph `json:"paragraphs"`
	ID         string          `json:"id"`
	Title      string          `json:"title"`
}

type cmrcParagraph struct {
	ID      string   `json:"id"`
	Context string   `json:"context"`
	QAs     []cmrcQA `json:"qas"`
}

type cmrcQA struct {
	Question string       `json:"question"`
	ID       string       `json:"id"`
	Answers  []cmrcAnswer `json:"answers,omitempty"`
}

type cmrcAnswer struct {
	Text        string `json:"text"`
	AnswerStart int    `json:"answer_start"`
}

// qaQuestion is one generated question with its answer span (rune offset) and, for
// multi-answer splits, an alternative answer span.
type qaQuestion struct {
	question string
	answer   span
	alt      span
}

type qaParagraph struct {
	title, context string
	questions      []qaQuestion
}

var cmrcTask = &task{
	name:      "cmrc2018",
	trainFile: "train.json",
	sizes:     [3]int{500, 120, 100},
	trialSize: 60,
	noise:     spanNoise,
	unit:      cmrcUnit,
	documents: cmrcDocuments,
}

// Questions per attribute; {P} is the person asked about.
var qaQuestions = map[string][]string{
	"city":    {"{P}住在哪座城市？", "{P}的家在哪里？", "{P}在哪个城市生活？"},
	"comp":    {"{P}在哪家公司上班？", "{P}是哪家公司的员工？", "{P}就职于哪家公司？"},
	"job":     {"{P}的职业是什么？", "{P}是做什么工作的？"},
	"age":     {"{P}今年多大？", "{P}多少岁了？"},
	"pet":     {"{P}家里养了哪些宠物？", "{P}养了什么动物？"},
	"visited": {"{P}去过哪个景点？", "{P}游览过什么地方？"},
}

var qaFillers = []string{"那是一个晴朗的周末。", "大家都说时间过得真快。", "这件事后来传开了。", "朋友们常常聚在一起。"}

// qaValueSlot names the slot of a fact form whose text is the answer.
var qaValueSlot = map[string]string{"city": "V", "comp": "V", "job": "V", "age": "N", "pet": "N", "visited": "V"}

// qaParagraphFor writes a paragraph about two or three people with distinct values and
// returns it with one question per stated fact.
func qaParagraphFor(r *rng) qaParagraph {
	n := r.between(2, 3)
	var people []*profile
	for len(people) < n {
		p := anyPerson(r)
		clash := false
		for _, q := range people {
			clash = clash || strings.Contains(q.p.name, p.name) || strings.Contains(p.name, q.p.name)
		}
		if !clash {
			people = append(people, blank(p))
		}
	}
	type clause struct {
		who  int
		attr string
		tmpl string
		vals map[string]string
	}
	// Everyone gets the same two or three attributes (plus at most one of their own), so a
	// question has several values of its type to choose from.
	shared := append([]string(nil), attrNames...)
	r.shuffle(len(shared), func(a, b int) { shared[a], shared[b] = shared[b], shared[a] })
	own := shared[3:]
	shared = shared[:r.between(2, 3)]
	var clauses []clause
	for i, pf := range people {
		attrs := append([]string(nil), shared...)
		if r.chance(0.4) {
			attrs = append(attrs, pick(r, own))
		}
		for _, attr := range attrs {
			for {
				randomValue(r, attr, pf, nil)
				unique := true
				for _, q := range people {
					unique = unique && (q == pf || !q.has(attr) || !sameValue(attr, q, pf))
				}
				if unique {
					break
				}
			}
			clauses = append(clauses, clause{who: i, attr: attr, tmpl: pick(r, factForms[attr]), vals: factValues(attr, pf)})
		}
	}
	if r.chance(0.5) {
		// Attribute by attribute ("A住在…，B住在…。A在…上班，…") instead of person by person.
		order := map[string]int{}
		for i, a := range shared {
			order[a] = i + 1
		}
		sort.SliceStable(clauses, func(i, j int) bool { return order[clauses[i].attr] < order[clauses[j].attr] })
	}
	var b strings.Builder
	offset := 0
	var qs []qaQuestion
	prevWho := -1
	for i, c := range clauses {
		vals := c.vals
		if c.who == prevWho && r.chance(0.5) {
			vals = copyVals(vals)
			vals["P"] = people[c.who].p.pronoun()
		}
		text, spans := fill(c.tmpl, vals)
		end := "，"
		if i == len(clauses)-1 || r.chance(0.35) {
			end = "。"
		}
		b.WriteString(text + end)
		var ans span
		for _, s := range spans {
			if s.slot == qaValueSlot[c.attr] {
				ans = span{slot: c.attr, start: offset + s.start, text: answerText(c.attr, vals, s.text)}
			}
		}
		alt := ans
		switch c.attr {
		case "age": // annotators differ on the unit: "35岁" or "35"
			alt.text = vals["N"]
		case "pet":
			alt.text = vals["A"]
			alt.start = ans.start + runeLen(vals["N"]+vals["U"])
		}
		q := render(pick(r, qaQuestions[c.attr]), map[string]string{"P": people[c.who].p.name})
		qs = append(qs, qaQuestion{question: q, answer: ans, alt: alt})
		if end == "。" && i < len(clauses)-1 && r.chance(0.2) {
			b.WriteString(pick(r, qaFillers)) // a sentence no question is about
		}
		offset = runeLen(b.String())
		prevWho = c.who
	}
	r.shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
	return qaParagraph{title: people[0].p.name, context: b.String(), questions: qs}
}

func copyVals(v map[string]string) map[string]string {
	out := make(map[string]string, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

// factValues are the slot values of a fact form for pf's value of attr.
func factValues(attr string, pf *profile) map[string]string {
	v := map[string]string{"P": pf.p.name}
	switch attr {
	case "city":
		v["V"] = pf.city
	case "comp":
		v["V"] = pf.comp.name
	case "job":
		v["V"] = pf.job
	case "age":
		v["N"] = itoa(pf.age)
	case "pet":
		v["N"], v["U"], v["A"] = itoa(pf.petN), pets[pf.pet].measure, pets[pf.pet].animal
	case "visited":
		v["V"] = scenes[pf.visited].name
	}
	return v
}

// answerText is the full answer starting at the value slot: "35岁", "3只猫", or the value.
func answerText(attr string, vals map[string]string, slotText string) string {
	switch attr {
	case "age":
		return vals["N"] + "岁"
	case "pet":
		return vals["N"] + vals["U"] + vals["A"]
	}
	return slotText
}

func cmrcUnit(r *rng, _ string) []item {
	p := qaParagraphFor(r)
	// Noise: a few answers point at another question's answer in the same paragraph.
	for i := range p.questions {
		if len(p.questions) > 1 && r.chance(spanNoise) {
			j := (i + 1 + r.intn(len(p.questions)-1)) % len(p.questions)
			p.questions[i].answer, p.questions[i].alt = p.questions[j].answer, p.questions[j].answer
		}
	}
	return []item{{keys: []string{p.context}, texts: []string{p.context}, data: p}}
}

// cmrcDocuments writes a split as one CMRC2018 document, <split>.json; the row count is the
// number of questions.
func cmrcDocuments(items []item, form rowForm, split string) ([]docFile, error) {
	prefix := strings.ToUpper(split)
	doc := cmrcDoc{Version: "v1.0"}
	rows := 0
	for i, it := range items {
		p := it.data.(qaParagraph)
		id := fmt.Sprintf("%s_%d", prefix, i)
		para := cmrcParagraph{ID: id, Context: p.context}
		for k, q := range p.questions {
			qa := cmrcQA{Question: q.question, ID: fmt.Sprintf("%s_QUERY_%d", id, k)}
			a := cmrcAnswer{Text: q.answer.text, AnswerStart: q.answer.start}
			switch {
			case form == formTest:
			case split == "train":
				qa.Answers = []cmrcAnswer{a}
			default:
				qa.Answers = []cmrcAnswer{a, a, {Text: q.alt.text, AnswerStart: q.alt.start}}
			}
			para.QAs = append(para.QAs, qa)
			rows++
		}
		doc.Data = append(doc.Data, cmrcArticle{Paragraphs: []cmrcParagraph{para}, ID: id, Title: p.title})
	}
	b, err := marshalLine(doc)
	if err != nil {
		return nil, err
	}
	return []docFile{{name: split + ".json", data: b, rows: rows}}, nil
}
