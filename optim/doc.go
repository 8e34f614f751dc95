// Package optim holds the optimiser used wherever the harness trains (the runner, the
// built-in pre-training, perf's training step): AdamW with decoupled weight decay over an
// explicit list of parameters, and global-norm gradient clipping.
//
// It is written here rather than taken from gotch for three reasons. gotch's optimiser wraps
// the whole VarStore, keeping state for frozen tensors too and applying one weight decay to
// all of them. Its ClipGradNorm deadlocks. Its ZeroGrad leaks a tensor per call.
//
// # Use
//
// The caller lists the trainable tensors as Params, each saying whether weight decay applies
// (the runner exempts biases and LayerNorm parameters, as BERT's recipe does). NewAdamW
// keeps state for exactly those tensors, allocated at their first update. A training step is
// then:
//
//	g := NewGrads(params) → g.Backward(loss, params) per micro-batch → g.ClipNorm(max) →
//	opt.Step(lr, g) → g.Free()
//
// Gradients are taken from the autograd engine rather than accumulated into each tensor's
// .grad (Grads says why); the parameters' .grad stays undefined. The caller computes the
// learning rate for every step; the schedule belongs to the runner. Step skips parameters
// that backward did not reach, as PyTorch does. Close frees the state.
//
// # Arithmetic and memory
//
// Step follows torch.optim.AdamW's update rule: the same bias correction and the same
// epsilon placement. Its last part is folded into fewer passes over the tensors, which
// rounds differently from PyTorch only in the last bits. Updates run with autograd off
// (tsx.NoGrad). They work on libtorch's C handles directly (handles.go) instead of gotch
// Tensors, because each gotch result allocates on the Go heap; about ten operations per
// parameter per step made that most of the optimiser's time.
// In-place updates go through package tsx, because gotch's generated in-place methods leak
// a handle, and with it the storage, on every call.
package optim
