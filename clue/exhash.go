package clue

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// ExamplesHash identifies a list of examples by content: a SHA-256 over each example's id,
// formatted texts, choices and gold annotation, in order. Two runs whose dev sets hash alike
// scored the same examples in the same order, so their per-example statistics pair row by
// row. Line numbers and Group (CHID's names the file's path) are left out, so a copy of the
// data in another directory hashes alike.
func ExamplesHash(exs []Example) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, ex := range exs {
		// Encoding a struct of strings, ints and slices of them cannot fail.
		_ = enc.Encode(struct {
			ID, TextA, TextB string
			Choices          [][2]string
			Label            int
			Entities         []Entity
			Answers          []Answer
		}{ex.ID, ex.TextA, ex.TextB, ex.Choices, ex.Label, ex.Entities, ex.Answers})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
