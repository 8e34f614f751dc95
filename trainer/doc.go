// Package trainer is the one way a model is assembled for training and the one optimiser step.
//
// New builds the encoder, attaches the tuning method, adds the task head, loads weights, marks
// what trains and creates AdamW over the trainable variables; Model.Step runs forward, loss and
// backward over a step's micro-batches, clips the gradients and updates. Step stops with
// ErrDiverged before updating when the loss is not finite or exceeds 100 times the first
// step's (see divergeFactor). The bench runner, `bench perf` and the method conformance tests
// all train through this package, so what perf times and what the tests check is what the
// runner does. Data, evaluation, schedules and results stay with their callers.
package trainer
