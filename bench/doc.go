// Package bench is the runner. It turns an experiment matrix into cells, trains and
// evaluates each cell, and records one result file per cell. Everything downstream (package
// reports, the regression gate, `bench status`) reads those files and nothing else.
//
// # From config to cells
//
// An experiments.yaml file describes a matrix of tasks × methods × settings × seeds.
// LoadConfig reads it into a Config and validates it. Unknown keys, wrong types, unknown
// tasks or methods and bad method options are errors that name the file and line. The
// caller supplies a Registry: the task and method names, how to resolve a method's options
// with its defaults, how to check a split, and what "builtin" stands for. That way config
// validation does not depend on the packages that define tasks and methods. A cell's
// hyper-parameters are resolved from the layers of the file: defaults, then the task, the
// setting, the method, and finally the task's own per-setting and per-method entries.
//
// Expand lists the matrix as Cells in a fixed order (task, method, setting, seed) and
// applies the config's include and exclude globs. It is a pure function of the config. Each
// cell carries everything resolved: the split, the hyper-parameters, the method's options
// as JSON, and the backbone and data paths. When a path is "builtin", the cell also records
// the version of the built-in input. A cell has two names:
//
//   - ID is a hash of all of that, so any change to what the cell would compute changes
//     its ID.
//   - Key is task__method__setting__sSEED. It names the cell's files and does not change
//     when the config does. A stored result whose ID differs from the cell's ID is stale,
//     and the cell is run again.
//
// Filter keeps the cells whose name (task/method/setting, optionally followed by /sSEED)
// matches one of the --only globs. A glob that matches nothing is an error. Shard takes the
// i-th of n disjoint parts. Freeze turns the selected cells into a plan that is written to
// a file once, so that array jobs, pods and per-device workers agree on the cells and their
// order without reading the config again.
//
// # Running
//
// Run takes the cells one after another on one OS thread, because libtorch's grad mode and
// thread settings belong to the thread. For each cell it:
//
//  1. checks the results directory. Pending and stale cells run. Done and failed cells are
//     skipped unless the options say to rerun them, and a cell another worker holds is
//     left to that worker.
//  2. claims the cell. The claim file is created exclusively and touched while the cell
//     runs. A dead worker's claim can be taken over. This lets several processes share one
//     results directory without training a cell twice.
//  3. trains the cell. It loads the task's data (package clue), the backbone and its
//     tokenizer (model, tokenizer), the method (methods) and the task head (heads). It
//     marks the trainable variables and checks them against the method's own parameter
//     count. Training uses AdamW (optim) on a linear warm-up and decay schedule, with
//     gradient accumulation, clipping, dev evaluations at fixed steps and optional early
//     stopping. The weights from the best evaluation are kept and restored. Finally the
//     cell predicts the test split in the task's submission format.
//  4. records the Result atomically and releases the claim.
//
// An error inside a cell is recorded as a failed result and the matrix goes on. A
// cancelled context stops after the current step, and nothing is recorded for that cell.
//
// # Results
//
// A Store is a results directory. Under cells/ it holds <key>.json (the Result), <key>.log,
// and <key>.claim while the cell runs. Under predictions/<key>/ it holds the test
// submission file. A Result holds the cell, its status, the metrics with their direction,
// the dev curve and best dev values, convergence, parameter counts, timings, peak memory
// and provenance. Package reports reads the results back and builds tables, plots and claim
// checks from them.
package bench
