// Package model is a BERT-family encoder on gotch (libtorch) that loads Hugging Face checkpoints
// the way transformers' BertModel, NezhaModel and RoFormerModel do (config.json's model_type
// "bert", "nezha" or "roformer"), with hooks for parameter-efficient tuning methods.
//
// # Building and loading
//
//	d, err := model.OpenDir(dir)                          // config.json + model.safetensors or pytorch_model.bin
//	vs := nn.NewVarStore(device)
//	enc, err := model.NewEncoder(vs.Root().Sub(d.Config.Namespace()), d.Config) // "bert", "nezha", "roformer"
//	// task heads and method parameters go elsewhere in vs, e.g. vs.Root().Sub("classifier")
//	rep, err := model.LoadWeights(d, vs)                  // warn about rep.Unused, note rep.Initialised
//
// Variables carry transformers' names ("bert.embeddings.word_embeddings.weight",
// "bert.encoder.layer.0.attention.self.query.weight", …, "bert.pooler.dense.weight"; "nezha.…"
// and "roformer.…" for the other architectures), so loading is by name: checkpoints with or
// without the namespace prefix and with TF-era LayerNorm gamma/beta names load alike, NEZHA
// checkpoints also with "bert." names; every encoder tensor must be present with its shape, and
// all violations are reported in one error.
//
// # Building without libtorch
//
// config.go (Config, ReadConfig, ParseConfig, Validate) and sites.go (the names of hook sites)
// are plain Go and build with
// CGO_ENABLED=0, so a tool that only plans or reports can read and check model configs; every
// other file needs gotch and carries the cgo build constraint.
//
// # Forward pass
//
// Forward computes embeddings (word + token type + position, LayerNorm, dropout), post-LN layers
// (self-attention with an additive padding mask, FFN with the config's activation) and the tanh
// pooler over [CLS]. train=false is eval mode: no dropout at all. Outputs belong to the caller.
// On the tiny fixture model the float32 outputs agree with an independent float64 PyTorch
// implementation to about 1e-6 (testdata/gen_reference.py).
//
// NEZHA (nezha.go) has no absolute position embeddings; functional sinusoid relative positions
// enter every layer's scores and context. RoFormer (roformer.go) has no absolute position
// embeddings either, an optional embeddings_project (embedding_size ≠ hidden_size), rotary
// positions on queries and keys (and values with rotary_value), and no pooler: Output.Pooled is
// nil. Both plug into the shared attention through the positionScheme seam (encoder.go); their
// outputs agree with independent float64 references to about 1e-6
// (testdata/gen_arch_reference.py). SetFrozenBF16 optionally runs the
// frozen backbone's matrix products in bfloat16 (bf16.go); it is off by default.
//
// # Tuning hooks
//
// The encoder knows no tuning method; methods attach through general points (hooks.go): every
// linear map of a layer (Q, K, V, attention output, FFN in and out) can be wrapped or given a
// parallel branch (SetLinearHook), attention can take extra keys and values (SetKVPrefix), the
// FFN hidden activation can be scaled (SetFFNActivationScale), each block's output can be
// rewritten before its residual add (SetSublayerHook), and the embeddings output can be
// prefixed (SetEmbeddingPrefix). With no hook set, Forward runs the plain encoder's operations
// and nothing else. SetTrainable chooses the trained variables by name;
// SaveTrainable/LoadTrainable store just those, as safetensors.
//
// # gotch pitfalls this package works around
//
//   - libtorch's grad mode is per OS thread: lock the goroutine (runtime.LockOSThread) that runs
//     tensor work. ts.GradSetEnabled misreports the previous mode, so code here switches
//     recording off through tsx.NoGrad, which restores the real previous mode.
//   - nn.Path.Sub appends to the parent's slice: two sibling paths held at once can alias and
//     name the same variable. Derive each path and use it before deriving the next.
//   - gotch's generated in-place methods (Normal_, RequiresGrad_, …) leak a tensor handle, which
//     pins the storage; in-place work here goes through package tsx, which frees that handle.
//   - Every gotch Tensor result allocates 100 KB of Go heap (and, in gotch as published, leaks
//     a malloc(0) block, which the copy gotchprep prepares frees): the forward pass works on
//     libtch handles and wraps only what it returns (handles.go).
//   - glibc hands freed activation buffers back to the kernel between steps; malloc.go keeps
//     them in the process.
//   - Must* functions panic or exit the process on error; library code here uses the error
//     forms only.
package model
