package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// tokenizerConfig is the subset of HF's tokenizer_config.json that changes tokenization.
// Keys that select behaviour this package does not implement are read only so that such a
// config is refused instead of silently tokenized differently.
type tokenizerConfig struct {
	DoLowerCase          *bool    `json:"do_lower_case"`
	TokenizeChineseChars *bool    `json:"tokenize_chinese_chars"`
	StripAccents         *bool    `json:"strip_accents"`
	SplitSpecialTokens   *bool    `json:"split_special_tokens"`
	DoBasicTokenize      *bool    `json:"do_basic_tokenize"`
	DoSplitOnPunc        *bool    `json:"do_split_on_punc"`
	NeverSplit           []string `json:"never_split"`
}

// specialConfigKeys are the tokenizer_config.json keys naming special tokens, with the
// names this package requires.
var specialConfigKeys = map[string]string{
	"cls_token": ClsToken, "sep_token": SepToken, "pad_token": PadToken,
	"unk_token": UnkToken, "mask_token": MaskToken,
}

// FromDir loads dir/vocab.txt and, when present, dir/tokenizer_config.json (as written by
// HF save_pretrained). Without a config the HF constructor defaults apply. When dir also
// holds the model's config.json, the vocabulary must fit its vocab_size.
func FromDir(dir string) (*Tokenizer, error) {
	vocabPath := filepath.Join(dir, "vocab.txt")
	v, err := LoadVocab(vocabPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer from %s: %w", dir, err)
	}
	if err := checkModelVocab(v, vocabPath, filepath.Join(dir, "config.json")); err != nil {
		return nil, fmt.Errorf("tokenizer from %s: %w", dir, err)
	}
	o := DefaultOptions()
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	data, err := os.ReadFile(cfgPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("tokenizer from %s: %w", dir, err)
	default:
		if err := applyConfig(&o, data); err != nil {
			return nil, fmt.Errorf("tokenizer from %s: %s: %w", dir, cfgPath, err)
		}
	}
	t, err := New(v, o)
	if err != nil {
		return nil, fmt.Errorf("tokenizer from %s: %s: %w", dir, vocabPath, err)
	}
	return t, nil
}

func applyConfig(o *Options, data []byte) error {
	var cfg tokenizerConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	for key, want := range specialConfigKeys {
		raw, ok := all[key]
		if !ok {
			continue
		}
		got, err := specialTokenName(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if got != "" && got != want {
			return fmt.Errorf("%s is %q; only %q is supported", key, got, want)
		}
	}
	if cfg.DoBasicTokenize != nil && !*cfg.DoBasicTokenize {
		return errors.New("do_basic_tokenize=false is not supported")
	}
	if cfg.DoSplitOnPunc != nil && !*cfg.DoSplitOnPunc {
		return errors.New("do_split_on_punc=false is not supported")
	}
	if len(cfg.NeverSplit) > 0 {
		return errors.New("a non-empty never_split is not supported")
	}
	if cfg.DoLowerCase != nil {
		o.DoLowerCase = *cfg.DoLowerCase
	}
	if cfg.TokenizeChineseChars != nil {
		o.TokenizeChineseChars = *cfg.TokenizeChineseChars
	}
	// null and absent both mean "follow do_lower_case", exactly as HF's None.
	o.StripAccents = cfg.StripAccents
	if cfg.SplitSpecialTokens != nil {
		o.SplitSpecialTokens = *cfg.SplitSpecialTokens
	}
	return nil
}

// specialTokenName reads a special token entry, which HF writes either as a plain string or
// as a serialized AddedToken object with a "content" field. null yields "".
func specialTokenName(raw json.RawMessage) (string, error) {
	var s *string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == nil {
			return "", nil
		}
		return *s, nil
	}
	var obj struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", fmt.Errorf("neither a string nor a token object: %w", err)
	}
	return obj.Content, nil
}
