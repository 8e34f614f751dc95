// Package heads holds the task heads that sit on the encoder, and everything else that
// depends on a task's kind: how its examples become model rows, the loss, and how head
// outputs become predictions. Heads always train, whatever the tuning method.
//
// # Kinds
//
// A clue task declares its Kind. Lookup finds the Kind registered under that name. Each kind
// lives in one file and registers itself in init, and the runner never names one:
//
//   - classifier.go: a linear classifier on [CLS] (or on the pooler output, with
//     Options.Pooler).
//   - ner.go with globalpointer.go: span scoring for NER, one score per (type, start, end).
//   - choice.go: one model row per candidate and one score per row, for multiple choice.
//   - span.go: start and end scores over sliding windows of a long context, for extractive
//     reading comprehension. The best-scoring window of a question wins.
//
// Names lists the registered kinds.
//
// # Data flow
//
// For one cell the runner uses a kind in this order:
//
//  1. Encode tokenises a split once, before training, into units. A unit is what one head
//     output is computed from: a sentence, a question with its choices, a context window.
//     The result is Data.
//  2. NewHead creates the head's variables under vs.Root().Sub(Prefix()). The runner trains
//     every variable under that prefix. Params counts the same variables from the sizes
//     alone, for the parameter accounting.
//  3. Data.Batch pads a set of units to their longest row and uploads them as a Batch: model
//     inputs plus the kind's gold tensors. Head.Loss gives the training loss on the encoder's
//     output, and Head.Predict gives one Guess per unit in eval mode.
//  4. Data.Decode turns the guesses of every unit, in unit order, into one clue.Prediction
//     per example, which clue.Evaluate scores and clue.WritePredictions writes out.
//
// Data.UnitLen lets evaluation batch units of similar length together, and Data.Notes says
// what encoding lost (truncated answers, unaligned entities), for the cell's log.
package heads
