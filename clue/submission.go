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
		idJSON := id
		if !isPlainInt(id) {
			b, err := json.Marshal(id)
			if err != nil {
				return fmt.Errorf("clue/%s: submission: id %q: %w", t.Name, id, err)
			}
			idJSON = string(b)
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
		v, ok := rec.raw("id")
		if !ok {
			return fmt.Errorf("field \"id\": missing")
		}
		id, err := scalarText(v, `"id"`)
		if err != nil {
			return err
		}
		if prev, dup := firstLine[id]; dup {
			return fmt.Errorf("field \"id\": id %s repeats line %d", id, prev)
		}
		firstLine[id] = line
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
