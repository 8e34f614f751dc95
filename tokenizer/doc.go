// Package tokenizer turns text into BERT WordPiece ids the way HF transformers' Python
// BertTokenizer does, so that a model fine-tuned here sees exactly the ids it was
// pre-trained on, and additionally reports which characters of the input every piece came
// from (the Python tokenizer cannot), which span-extraction tasks need.
//
// # Pipeline
//
// Tokenize follows BertTokenizer.tokenize step by step:
//
//  1. With DoLowerCase, text is lower-cased one character at a time with Python's
//     str.lower() mapping (İ becomes "i" + U+0307; Σ always becomes σ).
//  2. Special tokens written literally in the text ("[SEP]", case-sensitive, even inside a
//     word) become that special token, unless Options.SplitSpecialTokens is set.
//  3. The rest is cleaned: U+0000, U+FFFD, invalid UTF-8 and every character of a "C"
//     category (control, format such as U+200B, private use, unassigned) are deleted;
//     tab, newline, carriage return and Zs spaces separate words.
//  4. With TokenizeChineseChars, each CJK ideograph (the Unified Ideographs block,
//     Extensions A to E and the Compatibility Ideographs blocks, as in HF) is a word of its
//     own. Kana and Hangul are not.
//  5. Text is split on whitespace and each word normalized: NFD with nonspacing marks (Mn)
//     removed when accents are stripped, NFC otherwise. StripAccents nil follows
//     DoLowerCase.
//  6. Each punctuation character (all non-alphanumeric printable ASCII, and every Unicode
//     P* category) becomes a word of its own, unless the word is a special token.
//  7. WordPiece: greedy longest-match-first against the vocabulary, continuation pieces
//     prefixed "##". A word longer than MaxInputCharsPerWord characters, or one where the
//     greedy search reaches a position no entry matches, becomes one [UNK].
//
// Encode and EncodePair add [CLS] and [SEP] and truncate with HF's "longest_first"
// strategy; EncodePair's documentation gives the exact rule for ties.
//
// The steps live in these files: basic.go (special-token literals, cleaning, CJK isolation,
// lower-casing, whitespace and punctuation splitting), normalize.go (step 5), wordpiece.go
// (step 7) and chars.go (the character classes and case mapping they use). tokenizer.go
// builds a Tokenizer from a Vocab (vocab.go) and Options. fromdir.go reads a model
// directory's vocab.txt and tokenizer_config.json, and refuses settings this package does
// not implement. encode.go builds model inputs.
//
// # Offsets
//
// Offsets count characters (runes) of the original text, never bytes, and survive
// normalization: a piece covers every original character it was derived from, so "Café"
// lower-cased to "cafe" covers [0, 4) and an NFC-composed "e"+U+0301 covers both. When
// normalization expands one character into several (a Hangul syllable into jamo, İ into
// two), pieces made from parts of it all cover that one character. Characters deleted
// outright (controls, a combining mark standing on its own when accents are stripped) are
// covered by no piece.
//
// # Known differences from HF
//
// Character categories, case mappings and normalization come from Go's unicode tables and
// golang.org/x/text; Python's unicodedata may be a different Unicode version, so characters
// assigned in one version and not the other can be classified differently. In x/text, a run
// of more than 30 combining marks gets U+034F inserted (the Unicode stream-safe format);
// Python does not do that. The reference is the Python tokenizer: HF's Rust-backed
// BertTokenizerFast skips the NFC step and so differs on decomposed input when accents are
// kept. Encode never drops the special tokens, even when maxLen is smaller than they are.
package tokenizer
