package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
)

// checkModelVocab checks the vocabulary against the model's config.json in the same
// directory: the model's word-embedding table has vocab_size rows, so every id the tokenizer
// can emit (0 … v.Size()−1) must be below it. A larger vocab.txt otherwise fails only when
// a text happens to contain a high id, deep inside libtorch. Without a config.json, or with a
// vocab_size that is absent or not an integer (the model's own reader reports that), there
// is nothing to check against. A vocab_size above the vocabulary's size is fine: such tables
// are often padded to a round size.
func checkModelVocab(v *Vocab, vocabPath, configPath string) error {
	data, err := os.ReadFile(configPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var cfg struct {
		VocabSize json.Number `json:"vocab_size"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if dec.Decode(&cfg) != nil {
		return nil
	}
	size, err := strconv.ParseInt(cfg.VocabSize.String(), 10, 64)
	if err != nil || size <= 0 {
		return nil
	}
	if n := int64(v.Size()); n > size {
		return fmt.Errorf("%s has %d tokens but %s has vocab_size %d: ids %d…%d would index past the model's word embeddings (use the vocab.txt the model was trained with)",
			vocabPath, n, configPath, size, size, n-1)
	}
	return nil
}
