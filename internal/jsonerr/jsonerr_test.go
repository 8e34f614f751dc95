package jsonerr

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestWithLine(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"syntax on line 3", "{\n\"a\": 1,\n\"b\": ]\n}", "line 3: invalid character ']' looking for beginning of value"},
		{"type on line 2", "{\n\"a\": \"x\"\n}", "line 2: json: cannot unmarshal string into Go struct field .A of type int"},
		{"end of input", "{\"a\":\n1", "line 2: unexpected end of JSON input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v struct{ A int }
			err := WithLine([]byte(tc.data), json.Unmarshal([]byte(tc.data), &v))
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	plain := errors.New("not json's")
	if got := WithLine(nil, plain); got != plain {
		t.Errorf("other errors must come back unchanged, got %v", got)
	}
}
