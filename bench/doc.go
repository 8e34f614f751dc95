// Package bench is the runner: it trains and evaluates cells with libtorch and records one
// result per cell. What to run comes from package plan (bench/plan: the cells, already
// filtered and sharded, or a frozen plan's); where results go and what they hold is package
// results (bench/results). Neither of them imports this package. Everything downstream
// (package reports, the regression gate, `bench status`) reads the result files and nothing
// else, so it needs neither this package nor libtorch.
//
// # Running
//
// Run takes the cells one after another on one OS thread, because libtorch's grad mode and
// thread settings belong to the thread. For each cell it:
//
//  1. checks the results directory (results.CellStatus). Pending and stale cells run. Done
//     and failed cells are skipped unless the options say to rerun them, and a cell
//     another worker holds is left to that worker.
//  2. claims the cell (results.Store.Claim) and looks at it again under the claim: another
//     worker may have recorded it since the first look, and then it is skipped. The claim is
//     touched while the cell runs. A dead worker's claim, or one that cannot be read, is
//     taken over. This lets several processes share one results directory without training
//     a cell twice. A result file that does not parse is set aside (renamed, kept) before its
//     cell reruns.
//  3. trains the cell. It loads the task's data (package clue), the backbone and its
//     tokenizer (model, tokenizer), the method (methods) and the task head (heads), and
//     assembles them through package trainer. It marks the trainable variables and checks
//     them against the method's own parameter count. Training uses AdamW (optim) on a
//     linear warm-up and decay schedule (plan.Schedule), with gradient accumulation,
//     clipping, dev evaluations at fixed steps and optional early stopping. The weights from
//     the best evaluation are kept and restored, with that evaluation's dev predictions,
//     from which the cell writes the headline's per-example statistics (cells/<key>.dev.json,
//     for a report's bootstrap over examples; dev is not predicted again). Finally the cell
//     predicts the test split in the task's submission format and, where the split is
//     labelled (FewCLUE's test_public.json), records its metrics (Result.Test).
//  4. records the results.Result atomically, with timings, peak memory and provenance,
//     and releases the claim.
//
// An error inside a cell is recorded as a failed result and the matrix goes on. A
// cancelled context stops after the current step, and nothing is recorded for that cell; so
// does a results directory that cannot be written (a full disk), with an error naming the
// file. Before the first cell, Run removes the temporary files that killed writers left.
//
// RunCell runs one cell idempotently, the unit of work of array jobs and pods: it looks at
// the cell's status first, can wait for another worker that holds it, and reports what
// happened (skipped, recorded as failed, held, ran).
package bench
