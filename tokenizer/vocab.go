package tokenizer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Vocab maps WordPiece tokens to ids and back. The id of a token is its position in the
// vocabulary file, which is what the model's embedding matrix is indexed by. A Vocab is
// immutable once built and safe for concurrent use.
type Vocab struct {
	ids    map[string]int64
	tokens []string
}

// NewVocab builds a vocabulary whose ids are the indexes of tokens. Empty and duplicate
// tokens are rejected: either would leave an id that text can never map to, and in a real
// vocabulary both indicate a damaged file rather than intent.
func NewVocab(tokens []string) (*Vocab, error) {
	v := &Vocab{ids: make(map[string]int64, len(tokens)), tokens: make([]string, 0, len(tokens))}
	for i, tok := range tokens {
		if err := v.add(tok); err != nil {
			return nil, fmt.Errorf("token %d: %w", i, err)
		}
	}
	if len(v.tokens) == 0 {
		return nil, errors.New("vocabulary is empty")
	}
	return v, nil
}

func (v *Vocab) add(tok string) error {
	if tok == "" {
		return errors.New("empty token")
	}
	if !utf8.ValidString(tok) {
		return fmt.Errorf("token %q is not valid UTF-8", tok)
	}
	if prev, dup := v.ids[tok]; dup {
		return fmt.Errorf("duplicate token %q (first at id %d)", tok, prev)
	}
	v.ids[tok] = int64(len(v.tokens))
	v.tokens = append(v.tokens, tok)
	return nil
}

// LoadVocab reads a BERT vocab.txt: one token per line, id = 0-based line index. Errors
// name the file and the 1-based line. Line endings may be LF or CRLF, and a leading UTF-8
// byte-order mark is ignored; HF would keep either as part of a token, which only ever
// happens when a file was re-saved by an editor, so accepting them is the useful choice.
func LoadVocab(path string) (*Vocab, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load vocab: %w", err)
	}
	defer f.Close()
	v, err := readVocab(f, path)
	if err != nil {
		return nil, fmt.Errorf("load vocab: %w", err)
	}
	return v, nil
}

func readVocab(r io.Reader, path string) (*Vocab, error) {
	v := &Vocab{ids: make(map[string]int64, 32768)}
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		s, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if s == "" && errors.Is(err, io.EOF) {
			break
		}
		s = strings.TrimSuffix(s, "\n")
		s = strings.TrimSuffix(s, "\r")
		if line == 1 {
			s = strings.TrimPrefix(s, "\uFEFF")
		}
		if aerr := v.add(s); aerr != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, aerr)
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if len(v.tokens) == 0 {
		return nil, fmt.Errorf("%s: vocabulary is empty", path)
	}
	return v, nil
}

// ID returns the id of tok and whether tok is in the vocabulary.
func (v *Vocab) ID(tok string) (int64, bool) {
	id, ok := v.ids[tok]
	return id, ok
}

// Token returns the token with the given id, or "" when id is out of range. (HF returns
// the unknown token there; the vocabulary alone does not know which token that is.)
func (v *Vocab) Token(id int64) string {
	if id < 0 || id >= int64(len(v.tokens)) {
		return ""
	}
	return v.tokens[id]
}

// Size returns the number of tokens, which is also the size the model's embedding matrix
// must have.
func (v *Vocab) Size() int { return len(v.tokens) }
