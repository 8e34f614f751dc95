package clue

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// CMRC2018: span-extraction reading comprehension (SQuAD format, Chinese Wikipedia).
//
// Files (cmrc2018_public.zip): train.json, dev.json, test.json (trial.json is not read). Each
// is ONE JSON document {"version", "data": [{"paragraphs": [{"id", "context", "qas":
// [{"question", "id", "answers": [{"text", "answer_start"}]}]}], "id", "title"}]}; every
// question is one example: TextA = question, TextB = context, Answers = the gold answers
// (dev questions carry several; test questions none). answer_start counts characters. Where
// it does not point at the answer text, the occurrence of the text nearest to it is used; an
// answer that does not occur in its context keeps Start −1 (scored, never a training
// target). Errors name the line where the question starts and its place, e.g. field
// "data[0].paragraphs[2].qas[1].answers".
//
// Metrics as CMRC's official evaluator computes them, in percent, max over the gold answers:
//   - em (headline, as on the CLUE leaderboard): the answers are equal after lower-casing,
//     trimming and removing the evaluator's punctuation list;
//   - f1: both are split into tokens (each Chinese character and punctuation mark alone, runs
//     of other characters into words and ASCII punctuation — the evaluator uses NLTK's
//     word_tokenize there), punctuation removed, and F1 taken from the LONGEST COMMON
//     SUBSTRING of the two token lists (the evaluator's "find_lcs" is a substring search).
//
// The model sees sliding windows over long contexts and the best window wins (package heads).
// kshot:K:SEED draws K questions in all. Submission cmrc2018_predict.json is one JSON object
// {"question id": "answer text", ...}.
func init() {
	registerMetric("span/em", spanMetric(cmrcEM))
	registerMetric("span/f1", spanMetric(cmrcF1))
	registerExampleMetric("span/em", spanStats("em", cmrcEM))
	registerExampleMetric("span/f1", spanStats("f1", cmrcF1))
	Register(&Task{
		Name:        "cmrc2018",
		Description: "CMRC2018 span-extraction reading comprehension",
		Kind:        Span,
		Dirs:        []string{"cmrc2018_public", "cmrc2018", "cmrc"},
		Files:       map[string]string{"train": "train.json", "dev": "dev.json", "test": "test.json"},
		Labels:      []string{"answer"},
		Decode:      decodeCMRC,
		Submission:  "cmrc2018_predict.json",
		Metrics:     []Metric{{Name: "em", HigherIsBetter: true}, {Name: "f1", HigherIsBetter: true}},
		Records:     readSQuAD,
		Strata: func(train []Example) ([]int, []string) {
			return make([]int, len(train)), []string{"question"}
		},
		Format: &SubmissionFormat{Write: writeAnswers, Read: readAnswers},
	})
}

func decodeCMRC(raw []byte) (Example, error) {
	r, err := parseRecord(raw)
	if err != nil {
		return Example{}, err
	}
	path, err := r.text("path")
	if err != nil {
		return Example{}, err
	}
	ex := Example{Label: -1}
	if ex.TextB, err = r.text("context"); err != nil {
		return Example{}, fmt.Errorf("field %q: want a string", path[:max(0, strings.LastIndex(path, ".qas["))]+".context")
	}
	qa, err := r.object(path)
	if err != nil {
		return Example{}, err
	}
	if ex.TextA, err = qa.text("question"); err != nil {
		return Example{}, err
	}
	if ex.ID, err = qa.id(); err != nil {
		return Example{}, err
	}
	if ex.ID == "" {
		return Example{}, fmt.Errorf("field %s: missing", qa.name("id"))
	}
	v, ok := qa.raw("answers")
	if !ok {
		return ex, nil
	}
	var answers []struct {
		Text  *string `json:"text"`
		Start *int    `json:"answer_start"`
	}
	if err := json.Unmarshal(v, &answers); err != nil {
		return Example{}, fmt.Errorf("field %s: want [{\"text\", \"answer_start\"}, ...], got %s", qa.name("answers"), clip(v))
	}
	ctx := []rune(ex.TextB)
	ex.Answers = []Answer{}
	for i, a := range answers {
		if a.Text == nil || a.Start == nil {
			return Example{}, fmt.Errorf("field %s: answer %d needs \"text\" and \"answer_start\"", qa.name("answers"), i)
		}
		ex.Answers = append(ex.Answers, Answer{Text: *a.Text, Start: locate(ctx, []rune(*a.Text), *a.Start)})
	}
	return ex, nil
}

// locate returns where text occurs in ctx: at start if it is there, else the nearest
// occurrence, else −1.
func locate(ctx, text []rune, start int) int {
	if len(text) == 0 {
		return -1
	}
	best := -1
	for i := 0; i+len(text) <= len(ctx); i++ {
		if string(ctx[i:i+len(text)]) == string(text) && (best < 0 || abs(i-start) < abs(best-start)) {
			best = i
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func writeAnswers(w io.Writer, t *Task, ids []string, pred []Prediction) error {
	return writeIDObject(w, t, ids, pred, func(p Prediction) string { return p.Answer })
}

// readAnswers reads {"id": "answer", ...}; ids come back sorted.
func readAnswers(r io.Reader, name string, t *Task) ([]string, []Prediction, error) {
	return readIDObject(r, name, t, `{"question id": "answer"}`, func(id string, raw json.RawMessage) (Prediction, error) {
		p := Prediction{Label: -1}
		if err := json.Unmarshal(raw, &p.Answer); err != nil {
			return p, fmt.Errorf("field %q: want a string, got %s", id, clip(raw))
		}
		return p, nil
	})
}
