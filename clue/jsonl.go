package clue

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxLine bounds one JSON line. IFLYTEK app descriptions run to a few KB; 64 MiB leaves room
// for any CLUE record while still failing cleanly on a file that is not JSON lines at all.
const maxLine = 64 << 20

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readJSONL calls fn for every non-blank line of r with its 1-based line number. A UTF-8 BOM
// before the first line and blank lines (trailing ones are common in CLUE zips) are skipped;
// CRLF endings are accepted. Errors come back as "name:line: ...".
func readJSONL(r io.Reader, name string, fn func(line int, raw []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 {
			b = bytes.TrimPrefix(b, utf8BOM)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		if err := fn(line, b); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return nil
}

// record is one JSON object line whose fields are decoded only when a task asks for them, so
// each error can name the field it is about. prefix names nested objects ("target.").
type record struct {
	fields map[string]json.RawMessage
	prefix string
}

func parseRecord(raw []byte) (record, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return record{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if m == nil {
		return record{}, fmt.Errorf("invalid JSON: want an object, got null")
	}
	return record{fields: m}, nil
}

func (r record) name(field string) string { return strconv.Quote(r.prefix + field) }

func (r record) raw(field string) (json.RawMessage, bool) {
	v, ok := r.fields[field]
	if !ok || string(v) == "null" {
		return nil, false
	}
	return v, true
}

// text returns a required string field.
func (r record) text(field string) (string, error) {
	v, ok := r.raw(field)
	if !ok {
		return "", fmt.Errorf("field %s: missing", r.name(field))
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("field %s: want a string, got %s", r.name(field), clip(v))
	}
	return s, nil
}

// strings returns a required array-of-strings field (CSL's "keyword").
func (r record) strings(field string) ([]string, error) {
	v, ok := r.raw(field)
	if !ok {
		return nil, fmt.Errorf("field %s: missing", r.name(field))
	}
	var ss []string
	if err := json.Unmarshal(v, &ss); err != nil {
		return nil, fmt.Errorf("field %s: want an array of strings, got %s", r.name(field), clip(v))
	}
	return ss, nil
}

// int returns a required integer field; integer-valued strings ("12") are accepted too,
// because CLUE files are not consistent about quoting numbers.
func (r record) int(field string) (int, error) {
	v, ok := r.raw(field)
	if !ok {
		return 0, fmt.Errorf("field %s: missing", r.name(field))
	}
	s := string(v)
	if len(v) > 0 && v[0] == '"' {
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, fmt.Errorf("field %s: %w", r.name(field), err)
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("field %s: want an integer, got %s", r.name(field), clip(v))
	}
	return n, nil
}

// object returns a required nested object, whose own errors name "field.sub".
func (r record) object(field string) (record, error) {
	v, ok := r.raw(field)
	if !ok {
		return record{}, fmt.Errorf("field %s: missing", r.name(field))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return record{}, fmt.Errorf("field %s: want an object, got %s", r.name(field), clip(v))
	}
	return record{fields: m, prefix: r.prefix + field + "."}, nil
}

// id returns the record's "id" (or WSC's "idx") as text: numbers keep their literal digits so
// they can be written back as numbers. "" when neither field is present.
func (r record) id() (string, error) {
	for _, f := range []string{"id", "idx"} {
		v, ok := r.raw(f)
		if !ok {
			continue
		}
		return scalarText(v, r.name(f))
	}
	return "", nil
}

// label maps the "label" field onto an index into labels. CLUE files write labels as strings
// ("102") and FewCLUE as numbers (102) for the same task, and WSC's "true" may arrive as a JSON
// boolean; all are compared by their text. An absent or null label is -1 (test files). A label
// listed in drop yields a *DropError.
func (r record) label(labels []string, drop ...string) (int, error) {
	v, ok := r.raw("label")
	if !ok {
		return -1, nil
	}
	s, err := scalarText(v, r.name("label"))
	if err != nil {
		return 0, err
	}
	for i, l := range labels {
		if l == s {
			return i, nil
		}
	}
	for _, d := range drop {
		if d == s {
			return -1, &DropError{Reason: "label " + strconv.Quote(s)}
		}
	}
	return 0, fmt.Errorf("field %s: unknown label %q (want %s)", r.name("label"), s, describeLabels(labels))
}

// scalarText renders a JSON string, integer or boolean as text.
func scalarText(v json.RawMessage, field string) (string, error) {
	switch {
	case len(v) == 0:
		return "", fmt.Errorf("field %s: empty value", field)
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("field %s: %w", field, err)
		}
		return s, nil
	case string(v) == "true" || string(v) == "false":
		return string(v), nil
	default:
		if _, err := strconv.ParseInt(string(v), 10, 64); err != nil {
			return "", fmt.Errorf("field %s: want a string or an integer, got %s", field, clip(v))
		}
		return string(v), nil
	}
}

// describeLabels lists a label set for error messages, abbreviating long ones (IFLYTEK has 119).
func describeLabels(labels []string) string {
	if len(labels) <= 16 {
		return "one of " + strings.Join(quoteAll(labels), ", ")
	}
	return fmt.Sprintf("one of %d labels %s, %s, ... %s", len(labels),
		strconv.Quote(labels[0]), strconv.Quote(labels[1]), strconv.Quote(labels[len(labels)-1]))
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// clip shortens a raw value for an error message.
func clip(v []byte) string {
	const n = 40
	if len(v) <= n {
		return string(v)
	}
	return string(v[:n]) + "..."
}

// DropError marks a row its task discards by design, such as OCNLI and CMNLI pairs labelled
// "-" (no annotator majority). Readers count these instead of failing.
type DropError struct {
	Reason string // e.g. `label "-"`
}

func (e *DropError) Error() string { return "row dropped: " + e.Reason }

// IsDrop reports whether err marks a deliberately dropped row, and why.
func IsDrop(err error) (reason string, ok bool) {
	var d *DropError
	if errors.As(err, &d) {
		return d.Reason, true
	}
	return "", false
}

// singleText builds a decoder for tasks with one input text.
func singleText(field string, labels []string) func([]byte) (Example, error) {
	return func(raw []byte) (Example, error) {
		r, err := parseRecord(raw)
		if err != nil {
			return Example{}, err
		}
		return finish(r, labels, nil, func(ex *Example) error {
			ex.TextA, err = r.text(field)
			return err
		})
	}
}

// pairText builds a decoder for sentence-pair tasks; labels in drop become *DropError rows.
func pairText(fieldA, fieldB string, labels []string, drop ...string) func([]byte) (Example, error) {
	return func(raw []byte) (Example, error) {
		r, err := parseRecord(raw)
		if err != nil {
			return Example{}, err
		}
		return finish(r, labels, drop, func(ex *Example) error {
			if ex.TextA, err = r.text(fieldA); err != nil {
				return err
			}
			ex.TextB, err = r.text(fieldB)
			return err
		})
	}
}

// finish fills ID and Label around a task's text formatting. The ID comes first so that a
// dropped row still reports which record it was.
func finish(r record, labels, drop []string, format func(*Example) error) (Example, error) {
	var ex Example
	var err error
	if ex.ID, err = r.id(); err != nil {
		return Example{}, err
	}
	ex.Label, err = r.label(labels, drop...)
	if _, dropped := IsDrop(err); dropped {
		return ex, err
	}
	if err != nil {
		return Example{}, err
	}
	if err := format(&ex); err != nil {
		return Example{}, err
	}
	return ex, nil
}

// uniqueID reads a submission record's "id" (a string or an integer) and rejects one that an
// earlier line had; firstLine maps the ids seen so far to their lines.
func (r record) uniqueID(line int, firstLine map[string]int) (string, error) {
	v, ok := r.raw("id")
	if !ok {
		return "", fmt.Errorf("field \"id\": missing")
	}
	id, err := scalarText(v, `"id"`)
	if err != nil {
		return "", err
	}
	if prev, dup := firstLine[id]; dup {
		return "", fmt.Errorf("field \"id\": id %s repeats line %d", id, prev)
	}
	firstLine[id] = line
	return id, nil
}
