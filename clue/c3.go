package clue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// C3: multiple-choice reading comprehension over dialogues (d-) and mixed-genre texts (m-).
//
// Files (c3_public.zip): d-train.json and m-train.json (read together as train), d-dev.json
// and m-dev.json (dev), test1.1.json (test; test1.0.json is the older release). Each file is
// one JSON array, not JSON lines, of documents
//
//	[["context line", ...], [{"question": "...", "choice": ["...", ...], "answer": "..."}, ...], "m32-101"]
//
// and every question is one example. "answer" is the text of the right choice (absent in the
// test files, whose questions carry an "id" instead). Questions have 2 to 4 choices. Errors
// name the line where the document starts and the place in it, e.g. field "[1][2].answer".
//
// Input per choice: [CLS] context [SEP] question + choice [SEP], the context lines joined
// with "||", as the FL-tuning authors format it. Choices are padded to 4 by the runner (the
// padding can never be chosen). Label = index of the answer among the choices, so Labels are
// "0".."3" and the submission c311_predict.json reads {"id": ..., "label": "2"} per question.
// The id is the question's "id", or "<document id>-<question index>" where there is none.
// Metric: accuracy. kshot:K:SEED draws K questions per answer position.
func init() {
	labels := []string{"0", "1", "2", "3"}
	Register(&Task{
		Name:        "c3",
		Description: "C3 multiple-choice reading comprehension (2-4 choices)",
		Kind:        MultipleChoice,
		Dirs:        []string{"c3_public", "c3"},
		Files: map[string]string{"train": "d-train.json+m-train.json", "dev": "d-dev.json+m-dev.json",
			"test": "test1.1.json"},
		Labels:     labels,
		Decode:     decodeC3,
		Submission: "c311_predict.json",
		Metrics:    []Metric{{Name: "accuracy", HigherIsBetter: true}},
		Records:    readC3,
	})
}

// readC3 hands Decode one synthetic record per question:
// {"[0]": context lines, "[1][q]": the question, "[2]": document id, "q": q}, named after
// where each part sits in the document so that Decode's errors point into the file.
func readC3(r io.Reader, name string, fn func(line int, raw []byte) error) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("%s:1: want a JSON array of documents", name)
	}
	for doc := 0; dec.More(); doc++ {
		line := lineAt(data, int(dec.InputOffset()))
		var parts []json.RawMessage
		if err := dec.Decode(&parts); err != nil {
			return fmt.Errorf("%s:%d: document %d: want [context lines, questions, id]: %v", name, line, doc, err)
		}
		if len(parts) != 3 {
			return fmt.Errorf("%s:%d: document %d: want [context lines, questions, id], got %d parts", name, line, doc, len(parts))
		}
		var qs []json.RawMessage
		if err := json.Unmarshal(parts[1], &qs); err != nil {
			return fmt.Errorf("%s:%d: field \"[1]\": want a list of questions, got %s", name, line, clip(parts[1]))
		}
		for q, qa := range qs {
			raw := fmt.Sprintf(`{"[0]": %s, %q: %s, "[2]": %s, "q": %d}`, parts[0], "[1]["+strconv.Itoa(q)+"]", qa, parts[2], q)
			if err := fn(line, []byte(raw)); err != nil {
				return fmt.Errorf("%s:%d: %w", name, line, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s:%d: %v", name, lineAt(data, int(dec.InputOffset())), err)
	}
	return nil
}

// lineAt is the 1-based line of the first non-blank byte at or after off (a decoder's offset
// sits before the separator and white space that precede the next value).
func lineAt(data []byte, off int) int {
	for off < len(data) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
		off++
	}
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

func decodeC3(raw []byte) (Example, error) {
	r, err := parseRecord(raw)
	if err != nil {
		return Example{}, err
	}
	lines, err := r.strings("[0]")
	if err != nil {
		return Example{}, err
	}
	q, err := r.int("q")
	if err != nil {
		return Example{}, err
	}
	qa, err := r.object("[1][" + strconv.Itoa(q) + "]")
	if err != nil {
		return Example{}, err
	}
	ex := Example{Label: -1, TextA: strings.Join(lines, "||")}
	if ex.TextB, err = qa.text("question"); err != nil {
		return Example{}, err
	}
	choices, err := qa.strings("choice")
	if err != nil {
		return Example{}, err
	}
	if len(choices) < 2 || len(choices) > 4 {
		return Example{}, fmt.Errorf("field %s: %d choices, want 2 to 4", qa.name("choice"), len(choices))
	}
	for _, c := range choices {
		ex.Choices = append(ex.Choices, [2]string{ex.TextA, ex.TextB + c})
	}
	if _, ok := qa.raw("answer"); ok {
		answer, err := qa.text("answer")
		if err != nil {
			return Example{}, err
		}
		if ex.Label = indexOf(choices, answer); ex.Label < 0 {
			return Example{}, fmt.Errorf("field %s: %q is not one of the choices %q", qa.name("answer"), answer, choices)
		}
	}
	if ex.ID, err = qa.id(); err != nil || ex.ID != "" {
		return ex, err
	}
	v, ok := r.raw("[2]")
	if !ok {
		return Example{}, fmt.Errorf("field \"[2]\": missing document id")
	}
	doc, err := scalarText(v, `"[2]"`)
	if err != nil {
		return Example{}, err
	}
	ex.ID = doc + "-" + strconv.Itoa(q)
	return ex, nil
}
