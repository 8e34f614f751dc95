// Package plan says what to run: it turns an experiments.yaml file into cells, the units of
// work that the runner (package bench) trains and that package results records. It is pure
// Go with no cgo, so planning, `bench status` and reports work where libtorch is absent;
// importing it does not import package bench.
//
// # From config to cells
//
// An experiments.yaml file describes a matrix of tasks × methods × settings × seeds, on one
// backbone (backbone) or on each of several named ones (backbones, a further axis).
// LoadConfig reads it into a Config and validates it. Unknown keys, wrong types, unknown
// tasks or methods, bad method options, non-finite numbers, fractions where an integer
// belongs, an empty or repeated seed and bad globs are errors that name the file and line. The
// caller supplies a Registry: the task and method names, how to resolve a method's options
// with its defaults, how to check a split, and what "builtin" stands for. That way config
// validation does not depend on the packages that define tasks and methods. A cell's
// hyper-parameters (Hyper) are resolved from the layers of the file: defaults, then the
// task, the setting, the method, and finally the task's own per-setting and per-method
// entries.
//
// Expand lists the matrix as Cells in a fixed order ((backbone,) task, method, setting, grid
// point, seed) and
// applies the config's include and exclude globs. It is a pure function of the config. Each
// cell carries everything resolved: the split, the hyper-parameters, the method's options
// as JSON, and the backbone and data paths as the config writes them (relative to the config
// file when relative, so ids do not depend on the working directory). When a path is
// "builtin", the cell also records the version of the built-in input. A cell has two names:
//
//   - ID is a hash of all of that (ComputeID), so any change to what the cell would compute
//     changes its ID.
//   - Key is task__method__setting__sSEED. It names the cell's files and does not change
//     when the config does. A stored result whose ID differs from the cell's ID is stale,
//     and the cell is run again.
//
// A cell of a config with several backbones also records its backbone's name
// (BackboneName), which is hashed into its ID and put in front of its Key
// (backbone__task__...) and Name (backbone/task/...). Cells of a config with one backbone
// leave it empty and keep the IDs, keys and names they had before backbones existed.
//
// Any hyper-parameter may be a list (lr: [1.0e-4, 3.0e-4]) at any layer: a grid axis (grid.go).
// The most specific layer that sets a key wins whether it writes a scalar or a list, so a
// scalar overrides a list at a less specific layer and a list overrides a scalar. Each
// combination runs once per point of the product of the lists that win for it; the point,
// "lr=0.0001,batch_size=16", is recorded in the cell (Grid), hashed into its ID, appended to
// its Key (__lr=0.0001_batch_size=16) and Name (@lr=...), and is a last part of the name that
// globs match (task/method/setting/sSEED/lr=0.0001...). Cells of a config without lists leave
// Grid empty and keep their IDs, keys and names. Empty lists, values not of the key's type,
// fractions for integers, non-finite and repeated values are errors naming file and line.
//
// Schedule turns a cell's hyper-parameters and training-set size into its optimiser steps
// and evaluation points; the runner trains by it and EstimateSteps reports it.
//
// # Selecting and freezing
//
// Filter keeps the cells whose task/method/setting/sSEED matches one of the --only globs,
// part by part; a glob of fewer parts matches the leading ones ("*" is every cell, "c3/*"
// every C3 cell). With several backbones the name has the backbone first
// (backbone/task/method/setting/sSEED: "nezha" is every cell of that backbone, "*/c3" every
// C3 cell). Include and exclude globs match the same way. A --only glob that matches
// nothing is an error. Shard takes the
// i-th of n disjoint parts. Freeze turns the selected cells into a Frozen plan that
// WriteFrozen writes to a file once, so that array jobs, pods and per-device workers agree
// on the cells and their order without reading the config again. ReadFrozen checks a plan
// file, including that every cell's ID still matches its contents.
//
// Data moves one way: config → Config → []Cell (→ Frozen → []Cell in each worker) → the
// runner, which files each cell's result under its Key in package results.
package plan
