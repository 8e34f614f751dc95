package miniclue

import (
	"encoding/json"
	"index/suffixarray"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type c3File struct {
	lines [][]string
	qs    [][]c3QuestionRow
	ids   []string
}

// readC3File decodes one file strictly: a JSON array of [lines, questions, id] triples.
func readC3File(t *testing.T, dir, file string) c3File {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "c3_public", file))
	if err != nil {
		t.Fatal(err)
	}
	var raw [][3]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var f c3File
	for i, d := range raw {
		var lines []string
		var id string
		var qs []c3QuestionRow
		if err := json.Unmarshal(d[0], &lines); err != nil {
			t.Fatalf("%s doc %d lines: %v", file, i, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(d[1])))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&qs); err != nil {
			t.Fatalf("%s doc %d questions: %v", file, i, err)
		}
		if err := json.Unmarshal(d[2], &id); err != nil {
			t.Fatalf("%s doc %d id: %v", file, i, err)
		}
		f.lines, f.qs, f.ids = append(f.lines, lines), append(f.qs, qs), append(f.ids, id)
	}
	return f
}

func TestC3LayoutAndChoices(t *testing.T) {
	dir, m := fixture(t)
	for _, file := range []string{"d-train.json", "m-train.json", "d-dev.json", "m-dev.json", "test1.1.json"} {
		f := readC3File(t, dir, file)
		docIDs := map[string]bool{}
		test := file == "test1.1.json"
		questions := 0
		for i, lines := range f.lines {
			if docIDs[f.ids[i]] || len(lines) == 0 || len(f.qs[i]) == 0 {
				t.Fatalf("%s doc %q: %d lines, %d questions (or a repeated id)", file, f.ids[i], len(lines), len(f.qs[i]))
			}
			docIDs[f.ids[i]] = true
			for k, l := range lines {
				speaker := strings.HasPrefix(l, c3Speakers[k%2]+"：")
				if speaker != strings.HasPrefix(file, "d-") && !test {
					t.Fatalf("%s doc %q line %d %q: conversations (d-) and only they name the speaker in turn", file, f.ids[i], k, l)
				}
			}
			for _, q := range f.qs[i] {
				if len(q.Choice) < 2 || len(q.Choice) > 4 || len(slices.Compact(slices.Sorted(slices.Values(q.Choice)))) != len(q.Choice) {
					t.Fatalf("%s doc %q: choices %q, want 2 to 4 distinct", file, f.ids[i], q.Choice)
				}
				if test {
					if q.ID == nil || *q.ID != questions || q.Answer != "" {
						t.Fatalf("%s question %d: id %v, answer %q; want numbered questions without answers", file, questions, q.ID, q.Answer)
					}
				} else if q.ID != nil || !slices.Contains(q.Choice, q.Answer) {
					t.Fatalf("%s doc %q: answer %q not among %q (or an id)", file, f.ids[i], q.Answer, q.Choice)
				}
				questions++
			}
		}
		if e := m.File("c3_public/" + file); e == nil || e.Rows != questions {
			t.Errorf("%s: %d questions, manifest entry %+v", file, questions, e)
		}
	}
}

// The gold answer is stated in the document. Where other people's values for the asked
// attribute are among the choices (chance c3Rival each), picking the first choice that occurs
// in the text must be far from the gold; such questions must be common enough to matter.
func TestC3NeedsPersonLinking(t *testing.T) {
	dir, _ := fixture(t)
	inText, rivalled, firstRight, total := 0, 0, 0, 0
	for _, file := range []string{"d-dev.json", "m-dev.json", "d-train.json", "m-train.json"} {
		f := readC3File(t, dir, file)
		for i, lines := range f.lines {
			text := strings.Join(lines, "")
			for _, q := range f.qs[i] {
				total++
				if strings.Contains(text, q.Answer) {
					inText++
				}
				var stated []string
				for _, c := range q.Choice {
					if strings.Contains(text, c) {
						stated = append(stated, c)
					}
				}
				if len(stated) > 1 {
					rivalled++
					if stated[0] == q.Answer {
						firstRight++
					}
				}
			}
		}
	}
	if share := float64(inText) / float64(total); share < 0.95 {
		t.Errorf("answer stated in the document for %s of %d questions, want all but the noise", pct(share), total)
	}
	share := float64(rivalled) / float64(total)
	acc := float64(firstRight) / float64(rivalled)
	t.Logf("%s of %d questions offer another person's value; first-stated-choice baseline on them %s", pct(share), total, pct(acc))
	if share < 0.15 || share > 0.5 {
		t.Errorf("%s of questions offer another person's value, want about a quarter (c3Rival %.2f)", pct(share), c3Rival)
	}
	if acc > 0.7 {
		t.Errorf("first-stated-choice baseline %s where rivals are offered: the distractors are not doing their job", pct(acc))
	}
}

// Choices the document does not state are values of a random attribute, so mostly of
// another kind than the one asked; with values of the asked kind only, no method learned.
func TestC3UnstatedChoicesMostlyOtherKinds(t *testing.T) {
	other, unstated := 0, 0
	for _, it := range built(t, c3Task) {
		d := it.data.(c3Doc)
		text := strings.Join(d.lines, "")
		for _, q := range d.questions {
			for _, c := range q.choices {
				if strings.Contains(text, c) {
					continue
				}
				unstated++
				if c3Kind(c) != c3Kind(q.answer) {
					other++
				}
			}
		}
	}
	if share := float64(other) / float64(unstated); share < 0.6 {
		t.Errorf("%s of %d unstated choices are of another kind than the answer, want most", pct(share), unstated)
	}
}

// c3Kind names the attribute a choice is a value of, from the lexicon it comes from.
func c3Kind(v string) string {
	switch {
	case strings.HasSuffix(v, "岁"):
		return "age"
	case slices.ContainsFunc(pets, func(p struct{ animal, measure string }) bool { return strings.HasSuffix(v, p.measure+p.animal) }):
		return "pet"
	case slices.Contains(cities, v):
		return "city"
	case slices.Contains(positions, v):
		return "job"
	case slices.ContainsFunc(scenes, func(s struct{ name, city string }) bool { return s.name == v }):
		return "visited"
	}
	return "comp"
}

// No dev or test document occurs in training documents or in the corpus.
func TestC3EvaluationDocumentsDoNotLeak(t *testing.T) {
	dir, _ := fixture(t)
	// docs returns each document's text: its lines joined, without the speakers' names.
	docs := func(files ...string) []string {
		var out []string
		for _, file := range files {
			for _, lines := range readC3File(t, dir, file).lines {
				var doc string
				for _, l := range lines {
					for _, s := range c3Speakers {
						l = strings.TrimPrefix(l, s+"：")
					}
					doc += l
				}
				out = append(out, doc)
			}
		}
		return out
	}
	corpus, err := os.ReadFile(filepath.Join(dir, corpusName))
	if err != nil {
		t.Fatal(err)
	}
	trainIdx := suffixarray.New([]byte(strings.Join(docs("d-train.json", "m-train.json"), "\n")))
	corpusIdx := suffixarray.New(corpus)
	for _, file := range []string{"d-dev.json", "m-dev.json", "test1.1.json"} {
		for _, doc := range docs(file) {
			if len(trainIdx.Lookup([]byte(doc), 1)) > 0 || len(corpusIdx.Lookup([]byte(doc), 1)) > 0 {
				t.Errorf("%s document %q occurs in train or corpus", file, doc)
			}
		}
	}
}
