// Package clue reads the CLUE and FewCLUE tasks, formats their records into model inputs,
// scores predictions and writes submission files. It is pure Go: tokenising and encoding
// belong to the runner and the task heads (package heads).
//
// # Tasks are declarations
//
// Each task lives in one file (afqmc.go, tnews.go, ...) that declares a Task (folders, file
// names, label set, a Decode function that applies the task's input formatting, submission
// file names, metrics) and registers it in init. Adding a task is one new file and its test;
// nothing else switches on task names. Lookup finds a task by name and suggests near misses;
// Names lists the registered tasks. Code that several tasks share, or that a format needs
// beyond its declaration, has files of its own: jsonl.go (the JSON-lines reader and record
// fields), squad.go and cmrc2018_eval.go (CMRC2018's document reader and official scorer),
// idobject.go (submissions that are one JSON object keyed by id).
//
// Registered tasks: afqmc, tnews, iflytek, ocnli, cmnli, csl, wsc (CLUEWSC2020 = WSC 1.1),
// wsc10 (WSC 1.0), the FewCLUE-only eprstmt, csldcp and bustm, cluener (named entities), c3 and chid
// (multiple choice) and cmrc2018 (span extraction). Each file's comment records the format
// conventions it relies on.
//
// # Kinds
//
// A task declares its Kind. Classification tasks carry a label index in Example.Label;
// structured kinds carry their gold annotation in kind-specific Example fields (NER:
// Entities; multiple choice: Choices, with Label the right one; span: Answers) and may
// declare hooks for k-shot strata, their own submission format, files that are not JSON
// lines and joint decisions over groups of examples (Resolve). The runner predicts a
// Prediction per example and Evaluate scores it with the task's metrics, looked up as
// "kind/name" first and then as "name".
//
// # Pipeline
//
//  1. ParseSelection picks a regime: "full" (official splits), "few:0".."few:4" and "few:all"
//     (FewCLUE folds, test_public.json as the labelled test), or "kshot:K:SEED" (K examples per
//     class drawn from the full train set, deterministically for the seed).
//  2. Load resolves the task folder under a data dir, reads every file through one JSON-lines
//     reader (UTF-8 BOM and blank lines tolerated; errors read "path:line: field ...: ..."),
//     drops the rows a task discards by design (OCNLI/CMNLI "-") and counts them in Stats.
//  3. The runner trains on Dataset.Train/Dev and predicts one Prediction per example.
//  4. Evaluate computes the task's metrics (classification: accuracy, then macro-F1, in
//     percent; Score does the same from label indices); each Metric says whether higher is
//     better. WritePredictions writes the official one-JSON-per-line file; ReadPredictions
//     reads one back for offline scoring.
//  5. ExampleStatsOf breaks a metric into per-example sufficient statistics (exstats.go) and
//     StatsCombiner recomputes it from the sums of any multiset of rows, which is what a
//     bootstrap over dev examples needs; every task's headline has them (Register checks).
//     ExamplesHash identifies a dev set by content, so two runs' rows can be paired.
//
// Labels are handled as indices into Task.Labels everywhere; the canonical strings appear only
// at the edges (input files, submissions). Input files may write a label as a string or a
// number ("102" in CLUE, 102 in FewCLUE TNEWS); both decode to the same index.
package clue
