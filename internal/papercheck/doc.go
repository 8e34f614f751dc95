// Package papercheck holds the check of the paper matrix (make paper-check): a test program
// behind the build tag "papercheck" that builds the real bench binary and runs paper.yaml, as
// it stands, end to end on fixtures of our own instead of real data and checkpoints:
//
//   - data: the clue package's test files (invented rows in every task's CLUE and FewCLUE
//     format) copied into the folder layouts the CLUE zips and FewCLUE's repository publish
//     (fixture.PublishedLayout), FewCLUE folders both directly under the data dir and under
//     fewclue/;
//   - backbones: tiny random BERT, NEZHA and RoFormer directories (fixture.WriteArchModel)
//     under the names paper.yaml gives them below ${CLUE_MODELS}.
//
// It fails when a cell of the matrix cannot plan (every cell, with its estimated steps), or
// when a selected cell cannot load its backbone and data, train, evaluate, predict the test
// set or write its submission file, or when the report cannot render the results in the
// paper's layout, or when a claim's verdict is not what the results imply (decided with every
// cell; "not run" once few-shot CLUENER's P-tuning v2 cells are removed), or a few-shot average
// over part of its folds goes unmarked. The selection keeps the check short (seed 1): every
// full-data task on every backbone with every method; every few-shot task's first fold or draw
// likewise; and all its folds on each backbone with one method, rotating with the task. Each
// cell trains PAPERCHECK_STEPS optimiser steps (default 2, bench run --limit) with
// paper.yaml's hyper-parameters. Without the tag this package has no tests.
package papercheck
