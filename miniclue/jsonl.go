package miniclue

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// marshalLine encodes one JSON-lines record the way the CLUE files were written (Python's
// json.dumps with ensure_ascii=False): raw UTF-8, no HTML escaping, ", " and ": " separators.
// Readers do not care about the spacing, but matching it keeps a generated file
// indistinguishable in shape from a downloaded one when someone diffs the two.
func marshalLine(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	compact := bytes.TrimRight(buf.Bytes(), "\n")
	out := make([]byte, 0, len(compact)+len(compact)/8+1)
	inString, escaped := false, false
	for _, c := range compact {
		out = append(out, c)
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ',' || c == ':'):
			out = append(out, ' ')
		}
	}
	return append(out, '\n'), nil
}

// jsonLines encodes records as a JSON-lines file body.
func jsonLines[T any](rows []T) ([]byte, error) {
	var buf bytes.Buffer
	for i, r := range rows {
		line, err := marshalLine(r)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		buf.Write(line)
	}
	return buf.Bytes(), nil
}
