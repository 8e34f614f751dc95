package clue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

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
