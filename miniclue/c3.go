package miniclue

import (
	"fmt"
	"slices"
	"strings"
)

// C3: multiple-choice reading comprehension. A document is a CMRC-like paragraph about two or
// three people (qaParagraphFor), written either as a conversation (the d- files: one line per
// turn, two speakers taking turns) or as running text (the m- files: one line per sentence),
// with up to three questions about its facts. The choices, two to four in all, are the right
// value, each other person's value for the same attribute with chance c3Rival (ruling those
// out needs the link between person and value, as in CMRC), and values the document does not
// mention, of a randomly chosen attribute (so mostly of another kind: a city offered for an
// age).
// When every other person's value was offered (two or three stated choices for most
// questions), fine-tuning stayed at chance on the built-in backbone, with 500 or 3,000
// training documents and unstated choices of the asked kind or of others; so it did with
// each offered at chance 0.5. At 0.2 most questions have one stated choice of the asked kind,
// and it learns to read the choices against the document and the question.
// The layout is the official one: each file is one JSON array of
//
//	[["context line", ...], [{"question": "...", "choice": [...], "answer": "..."}, ...], "d3-12"]
//
// with d-train.json/m-train.json, d-dev.json/m-dev.json and test1.1.json, whose questions carry
// an "id" instead of an answer.

type c3Question struct {
	question string
	choices  []string
	answer   string
}

type c3Doc struct {
	dialogue  bool
	lines     []string
	questions []c3Question
}

var c3Task = &task{
	name:      "c3",
	trainFile: "train.json", // split name only: the files are d-/m-train.json
	sizes:     [3]int{1500, 120, 100},
	noise:     spanNoise,
	unit:      c3Unit,
	documents: c3Documents,
}

// c3Rival is the chance that another person's value for the asked attribute is a choice.
const c3Rival = 0.2

// c3Attrs are the attributes whose values fill the unstated choices.
var c3Attrs = []string{"city", "comp", "job", "age", "pet", "visited"}

// c3Speakers take turns in the conversations.
var c3Speakers = [2]string{"记者", "朋友"}

func c3Unit(r *rng, _ string) []item {
	p := qaParagraphFor(r)
	d := c3Doc{dialogue: r.chance(0.5)}
	for i, s := range strings.SplitAfter(p.context, "。") {
		if s == "" {
			continue
		}
		if d.dialogue {
			s = c3Speakers[i%2] + "：" + s
		}
		d.lines = append(d.lines, s)
	}
	for _, q := range p.questions[:min(len(p.questions), 3)] {
		attr := q.answer.slot
		choices := []string{q.answer.text}
		// The same attribute of the other people in the document first: the distractors that
		// need the person-value link to rule out.
		for _, o := range p.questions {
			if o.answer.slot == attr && !slices.Contains(choices, o.answer.text) && r.chance(c3Rival) {
				choices = append(choices, o.answer.text)
			}
		}
		n := r.between(2, 4)
		for tries := 0; len(choices) < n && tries < 50; tries++ {
			if v := randomValueText(r, pick(r, c3Attrs)); !slices.Contains(choices, v) && !strings.Contains(p.context, v) {
				choices = append(choices, v)
			}
		}
		choices = choices[:min(len(choices), 4)]
		answer := choices[0]
		if len(choices) > 1 && r.chance(spanNoise) {
			answer = choices[1+r.intn(len(choices)-1)] // annotation noise
		}
		r.shuffle(len(choices), func(i, j int) { choices[i], choices[j] = choices[j], choices[i] })
		d.questions = append(d.questions, c3Question{question: q.question, choices: choices, answer: answer})
	}
	return []item{{keys: []string{p.context}, texts: []string{p.context}, data: d}}
}

// randomValueText is the answer text of a fresh value of attr ("35岁", "3只猫", a city, …).
func randomValueText(r *rng, attr string) string {
	pf := blank(anyPerson(r))
	randomValue(r, attr, pf, nil)
	v := factValues(attr, pf)
	return answerText(attr, v, v["V"])
}

type c3QuestionRow struct {
	ID       *int     `json:"id,omitempty"`
	Question string   `json:"question"`
	Choice   []string `json:"choice"`
	Answer   string   `json:"answer,omitempty"`
}

// c3Documents writes a split: train and dev as a d- file (conversations) and an m- file
// (texts), test as one test1.1.json with numbered questions and no answers. Rows are
// questions.
func c3Documents(items []item, form rowForm, split string) ([]docFile, error) {
	var files []docFile
	add := func(name, prefix string, keep func(c3Doc) bool) error {
		docs := []any{}
		rows := 0
		for i, it := range items {
			d := it.data.(c3Doc)
			if !keep(d) {
				continue
			}
			var qs []c3QuestionRow
			for _, q := range d.questions {
				row := c3QuestionRow{Question: q.question, Choice: q.choices}
				if form == formTest {
					id := rows
					row.ID = &id
				} else {
					row.Answer = q.answer
				}
				qs = append(qs, row)
				rows++
			}
			docs = append(docs, []any{d.lines, qs, fmt.Sprintf("%s%d-%d", prefix, i/50+1, i)})
		}
		b, err := marshalLine(docs)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		files = append(files, docFile{name: name, data: b, rows: rows})
		return nil
	}
	if form == formTest {
		return files, add("test1.1.json", "t", func(c3Doc) bool { return true })
	}
	if err := add("d-"+split+".json", "d", func(d c3Doc) bool { return d.dialogue }); err != nil {
		return nil, err
	}
	return files, add("m-"+split+".json", "m", func(d c3Doc) bool { return !d.dialogue })
}
