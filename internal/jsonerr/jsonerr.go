package jsonerr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// WithLine adds "line N: " to a syntax or type error of decoding data; other errors, and
// offsets outside data, come back unchanged.
func WithLine(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	return fmt.Errorf("line %d: %w", 1+bytes.Count(data[:off], []byte("\n")), err)
}
