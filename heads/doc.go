// Package heads holds the task heads that sit on the encoder and everything else that depends
// on a task's kind: how its examples become model rows, the loss, and how head outputs become
// predictions. A clue task declares its Kind; Lookup finds the Kind implementation registered
// under that name (classifier.go: a linear classifier on [CLS]; ner.go with globalpointer.go:
// span scoring for NER; choice.go: one score per candidate row for multiple choice; span.go:
// start and end scores over sliding windows for extractive reading comprehension). Heads
// always train, whatever the tuning method.
package heads
