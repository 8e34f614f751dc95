package clue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"
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

// readSQuAD walks a SQuAD-style document with the streaming decoder, so that every question
// is handed to Decode with the line it starts on, as {"context": ..., "<path>": {question}}.
func readSQuAD(r io.Reader, name string, fn func(line int, raw []byte) error) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	w := squadWalker{dec: json.NewDecoder(bytes.NewReader(data)), data: data, name: name, fn: fn}
	return w.object("", func(key, path string) error {
		if key != "data" {
			return w.skip()
		}
		return w.array(path, func(path string) error {
			return w.object(path, func(key, path string) error {
				if key != "paragraphs" {
					return w.skip()
				}
				return w.array(path, w.paragraph)
			})
		})
	})
}

type squadWalker struct {
	dec  *json.Decoder
	data []byte
	name string
	fn   func(line int, raw []byte) error
}

func (w *squadWalker) fail(format string, a ...any) error {
	return fmt.Errorf("%s:%d: %s", w.name, lineAt(w.data, int(w.dec.InputOffset())), fmt.Sprintf(format, a...))
}

func (w *squadWalker) delim(want json.Delim, path string) error {
	tok, err := w.dec.Token()
	if err != nil || tok != want {
		return w.fail("field %q: want %q", path, string(want))
	}
	return nil
}

// object calls each(key, path of the value) with the decoder before each value.
func (w *squadWalker) object(path string, each func(key, path string) error) error {
	if err := w.delim('{', path); err != nil {
		return err
	}
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return w.fail("%v", err)
		}
		key, _ := tok.(string)
		sub := key
		if path != "" {
			sub = path + "." + key
		}
		if err := each(key, sub); err != nil {
			return err
		}
	}
	return w.delim('}', path)
}

func (w *squadWalker) array(path string, each func(path string) error) error {
	if err := w.delim('[', path); err != nil {
		return err
	}
	for i := 0; w.dec.More(); i++ {
		if err := each(path + "[" + strconv.Itoa(i) + "]"); err != nil {
			return err
		}
	}
	return w.delim(']', path)
}

func (w *squadWalker) skip() error {
	var v json.RawMessage
	if err := w.dec.Decode(&v); err != nil {
		return w.fail("%v", err)
	}
	return nil
}

// paragraph collects its questions (the context may come after them) and then hands them on.
func (w *squadWalker) paragraph(path string) error {
	type question struct {
		line int
		path string
		raw  json.RawMessage
	}
	var qs []question
	context := json.RawMessage(`null`)
	err := w.object(path, func(key, sub string) error {
		switch key {
		case "context":
			return w.dec.Decode(&context)
		case "qas":
			return w.array(sub, func(qpath string) error {
				q := question{line: lineAt(w.data, int(w.dec.InputOffset())), path: qpath}
				if err := w.dec.Decode(&q.raw); err != nil {
					return w.fail("%v", err)
				}
				qs = append(qs, q)
				return nil
			})
		}
		return w.skip()
	})
	if err != nil {
		return err
	}
	for _, q := range qs {
		raw := fmt.Sprintf(`{"context": %s, "path": %q, %q: %s}`, context, q.path, q.path, q.raw)
		if err := w.fn(q.line, []byte(raw)); err != nil {
			return fmt.Errorf("%s:%d: %w", w.name, q.line, err)
		}
	}
	return nil
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

// writeIDObject writes a submission that is one JSON object keyed by id (CMRC2018's answers,
// CHID's assignments), rejecting mismatched lengths and repeated ids.
func writeIDObject[V any](w io.Writer, t *Task, ids []string, pred []Prediction, value func(Prediction) V) error {
	if len(ids) != len(pred) {
		return fmt.Errorf("clue/%s: submission: %d ids but %d predictions", t.Name, len(ids), len(pred))
	}
	out := make(map[string]V, len(ids))
	for i, id := range ids {
		if _, dup := out[id]; dup {
			return fmt.Errorf("clue/%s: submission: id %s twice", t.Name, id)
		}
		out[id] = value(pred[i])
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("clue/%s: submission: %w", t.Name, err)
	}
	return nil
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

// readIDObject reads a submission that is one JSON object keyed by id, the counterpart of
// writeIDObject: value turns each id's JSON value into its prediction. ids come back sorted.
// Errors read "clue/<task>: <name>: ..."; shape describes the object for the error a file of
// another shape gets.
func readIDObject(r io.Reader, name string, t *Task, shape string, value func(id string, raw json.RawMessage) (Prediction, error)) ([]string, []Prediction, error) {
	var m map[string]json.RawMessage
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, nil, fmt.Errorf("clue/%s: %s: want one JSON object %s: %v", t.Name, name, shape, err)
	}
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	pred := make([]Prediction, len(ids))
	for i, id := range ids {
		p, err := value(id, m[id])
		if err != nil {
			return nil, nil, fmt.Errorf("clue/%s: %s: %w", t.Name, name, err)
		}
		pred[i] = p
	}
	return ids, pred, nil
}

// spanMetric averages a per-question score, maximised over the gold answers, in percent.
func spanMetric(score func(gold, pred string) float64) metricFunc {
	return func(_ *Task, gold []Example, pred []Prediction) (float64, error) {
		sum := 0.0
		for i, ex := range gold {
			best := 0.0
			for _, a := range ex.Answers {
				best = max(best, score(a.Text, pred[i].Answer))
			}
			sum += best
		}
		return 100 * sum / float64(len(gold)), nil
	}
}

// cmrcPunct is the official evaluator's punctuation list. Its "……" entry is two characters and
// never matches the single characters it is compared with, so "…" is not in the set.
var cmrcPunct = map[rune]bool{}

func init() {
	for _, r := range "-:_*^/\\~`+=，。：？！“”；’《》·、「」（）－～『』" {
		cmrcPunct[r] = true
	}
}

func cmrcEM(gold, pred string) float64 {
	if stripPunct(gold) == stripPunct(pred) {
		return 1
	}
	return 0
}

func stripPunct(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(strings.ToLower(s)) {
		if !cmrcPunct[r] {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func cmrcF1(gold, pred string) float64 {
	g, p := cmrcTokens(gold), cmrcTokens(pred)
	n := longestCommonRun(g, p)
	if n == 0 {
		return 0
	}
	prec, rec := float64(n)/float64(len(p)), float64(n)/float64(len(g))
	return 2 * prec * rec / (prec + rec)
}

// cmrcTokens segments as the evaluator does: the punctuation list is dropped first (without
// ending a word), CJK unified ideographs (U+4E00–U+9FA5) stand alone, and other runs are
// split into words at white space, with other ASCII punctuation as tokens of its own.
func cmrcTokens(s string) []string {
	var out []string
	var word []rune
	flush := func() {
		if len(word) > 0 {
			out = append(out, string(word))
			word = word[:0]
		}
	}
	for _, r := range strings.TrimSpace(strings.ToLower(s)) {
		switch {
		case cmrcPunct[r]:
			// Dropped without ending the word: "tsinghua-university" is one token.
		case r >= 0x4E00 && r <= 0x9FA5:
			flush()
			out = append(out, string(r))
		case unicode.IsSpace(r):
			flush()
		case r < 0x80 && unicode.IsPunct(r) && !(inNumber(word) && (r == '.' || r == ',')):
			// NLTK keeps "3.5" and "1,000" whole; a mark after anything else stands alone.
			flush()
			out = append(out, string(r))
		default:
			word = append(word, r)
		}
	}
	flush()
	return out
}

// inNumber reports whether a word so far is digits (a following '.' or ',' may be part of it).
func inNumber(word []rune) bool {
	return len(word) > 0 && unicode.IsDigit(word[len(word)-1])
}

// longestCommonRun is the length of the longest common contiguous run of tokens.
func longestCommonRun(a, b []string) int {
	best := 0
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			cur[j+1] = 0
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
				best = max(best, cur[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return best
}
