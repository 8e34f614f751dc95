package clue

import (
	"fmt"
	"strings"
	"testing"
)

func TestReadJSONL(t *testing.T) {
	tests := []struct {
		name  string
		input string
		lines []int  // line numbers handed to fn
		err   string // substring of the error, "" for none
	}{
		{"plain", "{\"a\":1}\n{\"a\":2}\n", []int{1, 2}, ""},
		{"BOM and trailing blank lines", "\uFEFF{\"a\":1}\n{\"a\":2}\n\n  \n", []int{1, 2}, ""},
		{"CRLF and blank line inside", "{\"a\":1}\r\n\r\n{\"a\":2}\r\n", []int{1, 3}, ""},
		{"no final newline", "{\"a\":1}", []int{1}, ""},
		{"empty file", "", nil, ""},
		{"fn error gets name:line", "{\"a\":1}\n{\"a\":2}\nboom\n", []int{1, 2}, "f.json:3: bad line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			err := readJSONL(strings.NewReader(tc.input), "f.json", func(line int, raw []byte) error {
				if string(raw) == "boom" {
					return fmt.Errorf("bad line")
				}
				if raw[0] != '{' || raw[len(raw)-1] != '}' {
					t.Errorf("line %d handed over untrimmed: %q", line, raw)
				}
				got = append(got, line)
				return nil
			})
			if tc.err == "" && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.lines) {
				t.Errorf("lines = %v, want %v", got, tc.lines)
			}
		})
	}
}

func TestRecordFields(t *testing.T) {
	labels := []string{"false", "true", "102"}
	tests := []struct {
		name  string
		raw   string
		id    string
		label int
		err   string
	}{
		{"string id and label", `{"id": "a7", "label": "102"}`, "a7", 2, ""},
		{"numeric id, numeric label", `{"id": 7, "label": 102}`, "7", 2, ""},
		{"idx when no id", `{"idx": 12, "label": "true"}`, "12", 1, ""},
		{"id preferred over idx", `{"id": 1, "idx": 2, "label": false}`, "1", 0, ""},
		{"no id, no label", `{"text": "x"}`, "", -1, ""},
		{"null label is unlabelled", `{"label": null}`, "", -1, ""},
		{"unknown label", `{"label": "103"}`, "", 0, `field "label": unknown label "103" (want one of "false", "true", "102")`},
		{"empty label", `{"label": ""}`, "", 0, `unknown label ""`},
		{"object label", `{"label": {"x": 1}}`, "", 0, `field "label": want a string or an integer`},
		{"float id", `{"id": 1.5}`, "", 0, `field "id": want a string or an integer`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseRecord([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			id, idErr := r.id()
			label, labelErr := r.label(labels)
			err = idErr
			if err == nil {
				err = labelErr
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id != tc.id || label != tc.label {
				t.Errorf("id, label = %q, %d; want %q, %d", id, label, tc.id, tc.label)
			}
		})
	}
}

func TestParseRecordRejects(t *testing.T) {
	for _, raw := range []string{`{"a": 1`, `[1, 2]`, `null`, `"text"`} {
		if _, err := parseRecord([]byte(raw)); err == nil || !strings.Contains(err.Error(), "invalid JSON") {
			t.Errorf("parseRecord(%s) err = %v, want invalid JSON", raw, err)
		}
	}
}
