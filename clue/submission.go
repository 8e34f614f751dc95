package clue

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// WriteSubmission writes one {"id": ..., "label": "<label string>"} per line, in the given
// order, as CLUE's and FewCLUE's scorers expect. An id made only of digits (no sign, no
// leading zero) is written as a JSON number, because the official test files number their
// records and the published submissions echo them as numbers; any other id stays a string.
func WriteSubmission(w io.Writer, t *Task, ids []string, pred []int) error {
	if len(ids) != len(pred) {
		return fmt.Errorf("clue/%s: submission: %d ids but %d predictions", t.Name, len(ids), len(pred))
	}
	bw := bufio.NewWriter(w)
	for i, id := range ids {
		if pred[i] < 0 || pred[i] >= len(t.Labels) {
			return fmt.Errorf("clue/%s: submission: prediction %d for id %q is not a label index in [0, %d)", t.Name, pred[i], id, len(t.Labels))
		}
		idJSON, err := submissionID(id)
		if err != nil {
			return fmt.Errorf("clue/%s: submission: id %q: %w", t.Name, id, err)
		}
		label, err := json.Marshal(t.Labels[pred[i]])
		if err != nil {
			return fmt.Errorf("clue/%s: submission: label: %w", t.Name, err)
		}
		fmt.Fprintf(bw, "{\"id\": %s, \"label\": %s}\n", idJSON, label)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("clue/%s: submission: %w", t.Name, err)
	}
	return nil
}

// isPlainInt reports whether s is a non-negative decimal integer without leading zeros, i.e.
// text that survives a round trip through a JSON number unchanged.
func isPlainInt(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	if s[0] == '0' {
		return s == "0"
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ReadSubmission reads a submission-format file (as WriteSubmission writes it; labels may also
// be numbers, as some FewCLUE tools write them). name is used in errors, which read
// "name:line: field ...". Repeated ids are an error.
func ReadSubmission(r io.Reader, name string, t *Task) (ids []string, pred []int, err error) {
	firstLine := map[string]int{}
	err = readJSONL(r, name, func(line int, raw []byte) error {
		rec, err := parseRecord(raw)
		if err != nil {
			return err
		}
		id, err := rec.uniqueID(line, firstLine)
		if err != nil {
			return err
		}
		l, err := rec.label(t.Labels)
		if err != nil {
			return err
		}
		if l < 0 {
			return fmt.Errorf("field \"label\": missing")
		}
		ids = append(ids, id)
		pred = append(pred, l)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("clue/%s: %w", t.Name, err)
	}
	return ids, pred, nil
}

// SubmissionFormat writes and reads a structured task's submission file. Both functions see
// predictions aligned with ids; Read's errors name "name:line: field ...".
type SubmissionFormat struct {
	Write func(w io.Writer, t *Task, ids []string, pred []Prediction) error
	Read  func(r io.Reader, name string, t *Task) (ids []string, pred []Prediction, err error)
}

// WritePredictions writes predictions in the task's submission format: its own Format, or
// one {"id", "label"} per line.
func WritePredictions(w io.Writer, t *Task, ids []string, pred []Prediction) error {
	if t.Format != nil {
		return t.Format.Write(w, t, ids, pred)
	}
	labels := make([]int, len(pred))
	for i, p := range pred {
		labels[i] = p.Label
	}
	return WriteSubmission(w, t, ids, labels)
}

// ReadPredictions reads a submission file in the task's format (see WritePredictions).
func ReadPredictions(r io.Reader, name string, t *Task) (ids []string, pred []Prediction, err error) {
	if t.Format != nil {
		return t.Format.Read(r, name, t)
	}
	ids, labels, err := ReadSubmission(r, name, t)
	if err != nil {
		return nil, nil, err
	}
	pred = make([]Prediction, len(labels))
	for i, l := range labels {
		pred[i] = Prediction{Label: l}
	}
	return ids, pred, nil
}

// submissionID renders an id as ReadSubmission and the official scorers expect it: plain
// integers as JSON numbers, anything else as a string.
func submissionID(id string) (string, error) {
	if isPlainInt(id) {
		return id, nil
	}
	b, err := json.Marshal(id)
	return string(b), err
}
