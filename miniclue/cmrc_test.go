package miniclue

import (
	"encoding/json"
	"index/suffixarray"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func readCMRC(t *testing.T, dir, file string) cmrcDoc {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "cmrc2018_public", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc cmrcDoc
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return doc
}

func TestCMRCLayoutAndAnswerOffsets(t *testing.T) {
	dir, m := fixture(t)
	ids := map[string]bool{}
	for _, file := range []string{"train.json", "dev.json", "trial.json", "test.json"} {
		doc := readCMRC(t, dir, file)
		if doc.Version == "" || len(doc.Data) == 0 {
			t.Fatalf("%s: version %q, %d articles", file, doc.Version, len(doc.Data))
		}
		questions := 0
		for _, a := range doc.Data {
			if a.ID == "" || a.Title == "" || len(a.Paragraphs) != 1 {
				t.Fatalf("%s: article %+v", file, a)
			}
			for _, p := range a.Paragraphs {
				ctx := []rune(p.Context)
				for _, qa := range p.QAs {
					questions++
					if ids[qa.ID] || !strings.HasPrefix(qa.ID, p.ID+"_QUERY_") || qa.Question == "" {
						t.Fatalf("%s: question id %q in paragraph %q", file, qa.ID, p.ID)
					}
					ids[qa.ID] = true
					want := map[string]int{"train.json": 1, "dev.json": 3, "trial.json": 3, "test.json": 0}[file]
					if len(qa.Answers) != want {
						t.Fatalf("%s %s: %d answers, want %d", file, qa.ID, len(qa.Answers), want)
					}
					for _, ans := range qa.Answers {
						end := ans.AnswerStart + len([]rune(ans.Text))
						if ans.Text == "" || ans.AnswerStart < 0 || end > len(ctx) || string(ctx[ans.AnswerStart:end]) != ans.Text {
							t.Fatalf("%s %s: answer %+v not found in %q", file, qa.ID, ans, p.Context)
						}
					}
				}
			}
		}
		if f := m.File("cmrc2018_public/" + file); f == nil || f.Rows != questions {
			t.Errorf("%s: %d questions, manifest entry %+v", file, questions, f)
		}
	}
}

func TestCMRCEvaluationContextsDoNotLeak(t *testing.T) {
	dir, _ := fixture(t)
	contexts := func(file string) []string {
		var out []string
		for _, a := range readCMRC(t, dir, file).Data {
			out = append(out, a.Paragraphs[0].Context)
		}
		return out
	}
	corpus, err := os.ReadFile(filepath.Join(dir, corpusName))
	if err != nil {
		t.Fatal(err)
	}
	trainIdx := suffixarray.New([]byte(strings.Join(contexts("train.json"), "\n")))
	corpusIdx := suffixarray.New(corpus)
	for _, file := range []string{"dev.json", "trial.json", "test.json"} {
		for _, c := range contexts(file) {
			if len(trainIdx.Lookup([]byte(c), 1)) > 0 || len(corpusIdx.Lookup([]byte(c), 1)) > 0 {
				t.Errorf("%s context %q occurs in train or corpus", file, c)
			}
		}
	}
}

// A reader that ignores whom a question is about, answering with the first value of the
// asked type in the paragraph, must be far from the gold answers: the questions need the
// link between a person (or a pronoun) and a value.
func TestCMRCNeedsPersonLinking(t *testing.T) {
	dir, _ := fixture(t)
	alts := func(words []string) string {
		q := make([]string, len(words))
		for i, w := range words {
			q[i] = regexp.QuoteMeta(w)
		}
		return strings.Join(q, "|")
	}
	var sceneNames []string
	for _, s := range scenes {
		sceneNames = append(sceneNames, s.name)
	}
	var sectorWords []string
	for _, s := range sectors {
		sectorWords = append(sectorWords, s.word)
	}
	types := []struct {
		cue string
		re  *regexp.Regexp
	}{
		{"城市|家在", regexp.MustCompile(alts(cities))},
		{"公司", regexp.MustCompile(`[\p{Han}]{2}(` + alts(sectorWords) + `)`)},
		{"职业|工作的", regexp.MustCompile(alts(positions))},
		{"多大|多少岁", regexp.MustCompile(`\d+岁`)},
		{"宠物|动物", regexp.MustCompile(`\d+[只条]\p{Han}+?(猫|狗|鹦鹉|金鱼|兔子)`)},
		{"景点|地方", regexp.MustCompile(alts(sceneNames))},
	}
	right, total := 0, 0
	for _, a := range readCMRC(t, dir, "dev.json").Data {
		p := a.Paragraphs[0]
		for _, qa := range p.QAs {
			total++
			for _, ty := range types {
				if regexp.MustCompile(ty.cue).MatchString(qa.Question) {
					if ty.re.FindString(p.Context) == qa.Answers[0].Text {
						right++
					}
					break
				}
			}
		}
	}
	em := float64(right) / float64(total)
	t.Logf("first-value-of-type baseline: EM %s on %d dev questions", pct(em), total)
	if em < 0.2 || em > 0.75 {
		t.Errorf("first-value-of-type baseline EM %s: want well below the gold but clearly above zero", pct(em))
	}
}
