// Package tsx holds the few tensor operations the harness needs that gotch gets wrong, and
// the one convention for freeing tensors.
//
// # Freeing
//
// Drop frees tensors and is the one way library code frees them. gotch's MustDrop panics on
// error, and a bare Drop leaves an error unused that no caller could act on.
// Err cuts a gotch error down to libtorch's message, because gotch appends a Go stack trace
// and libtorch a C++ backtrace. Trim does the same for any message, at the places where
// errors leave for a user (a result's error field, the console).
//
// # In-place operations
//
// gotch's generated in-place methods (Add_, MulScalar_, Zero_, …) replace the receiver's C
// handle with the one libtorch returns and leak the old handle. The leaked handle keeps the
// storage alive forever: a temporary modified in place is never freed, and a training loop
// leaks its activations every step. The operations here (MulScalar, AddScalar, Lerp, Add,
// Sub, Zero, Detach, Copy) call libtch directly and free the handle libtorch returns. Inplace
// does the same for any libtch in-place call, and Handle gives a tensor's C handle for such
// calls.
//
// # Grad mode
//
// gotch's NoGrad always switches recording back on afterwards, and its GradSetEnabled
// misreports the previous mode. NoGrad here runs a function with recording off and restores
// the real previous mode, on one locked OS thread. Copy uses it, so copying into a
// parameter is never recorded by autograd.
package tsx
