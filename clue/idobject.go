package clue

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

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
