// Package builtin provides the harness's own small benchmark. It has two parts: the mini-CLUE
// datasets, which package miniclue generates in the official CLUE layouts, and a small BERT
// that is pre-trained here with masked-LM on the generated corpus and saved as an HF model
// directory. Both are built on first use and cached under a hash of what determines them.
// So `make bench` runs end to end on a machine with no data and no checkpoint, through the
// same code paths that real data and real checkpoints take.
//
// # Data and backbone
//
// DataDir(cache, seed) generates mini-CLUE into the cache directory for that seed (Scale 1,
// every task). Generation writes nothing when the files are already there and match their
// manifest.
//
// ModelDir(cache, spec, progress) returns the backbone directory for a Spec (layers, sizes,
// steps, learning rate, seeds). First it resolves the data, then it derives the cache key
// from four things: the spec, PretrainProcedure, the vocabulary (miniclue.Vocab, built from the
// generated data's characters) and the corpus checksum. If no complete model is at that path,
// Pretrain trains a fresh encoder with masked-LM and a tied-embedding prediction head, using
// package optim's AdamW. It then writes config.json, vocab.txt, model.safetensors and
// pretraining.json through a temporary directory, so that a half-written backbone is never
// used. The runner then loads that directory like any checkpoint (model.OpenDir,
// tokenizer.FromDir).
//
// Pre-training the default spec takes minutes on two cores, so the package carries its
// result (shipped.go, embedded from shipped/<cache key>/ with a SHA256SUMS file): ModelDir
// installs that copy into an empty cache instead of pre-training, and Backbone with
// Options.Pretrain or Rebuild (bench pretrain) pre-trains regardless. A test checks that the
// shipped key is still the default spec's.
//
// DataID and Spec.ID name the data and the backbone without building them. Cells record
// these names in place of the bare word "builtin", so results made from another generator
// version or pre-training spec are stale. Bump PretrainProcedure whenever a change to the
// pre-training code changes the weights it produces for a spec.
//
// # Building without libtorch
//
// builtin.go (Spec, DefaultSpec, Config, ID, DataID, CacheDir, DataPath, DataDir,
// ModelConfig) is plain Go and builds with CGO_ENABLED=0, so a tool that only plans or reports
// knows what "builtin" stands for and can generate the data. ModelDir (backbone.go) and
// pre-training (pretrain.go) need libtorch and carry the cgo build constraint.
//
// # Concurrency
//
// Many workers may resolve the built-in inputs at once: array tasks, pods, or one process per
// GPU. Each build takes an exclusive file lock (flock on <dir>.lock) in the cache. One worker
// builds and the others wait, then use the result. The cache must therefore be on a file
// system that all workers share. CacheDir is $CLUE_BENCH_CACHE, or else the user's cache
// directory.
package builtin
