// Package methods holds the tuning methods the benchmark compares. A method attaches its own
// parameters to the encoder, hooks them into the forward pass through the encoder's extension
// points, and says which variables train. Each method lives in one file (finetune.go,
// ptuning.go, fltuning.go) and registers itself in init. The runner looks methods up by name
// and never switches on one.
//
// # Registry and options
//
// Register adds a name, a one-line summary and a Factory. Names lists the registered
// methods, and New builds one from the YAML options node of experiments.yaml. FromSettings
// builds one from key=value strings, the CLI's --set. Options are decoded strictly, so an
// unknown key or a wrong type is an error, and the factory validates their values.
// Method.Options returns them with the defaults filled in. Their JSON form is part of a
// cell's identity, so a change to a default changes the id of every cell that uses it.
//
// # From options to training
//
// The runner uses a method in this order:
//
//  1. Check and MaxSeqLen test the options against the model config before anything is
//     built. For example, FL-tuning's layer indices must exist, and P-tuning v2 with
//     shifted positions leaves fewer positions for tokens.
//  2. Attach runs after the encoder is built and before the checkpoint is loaded. It creates
//     the method's variables under its own path, outside "bert.", so that loading the
//     checkpoint leaves them alone. It hooks them in through model.Encoder's extension
//     points: P-tuning v2 sets per-layer key/value prefixes, and FL-tuning sets an FFN
//     branch.
//  3. Trains decides, by full variable name, which encoder and method variables train. Task
//     heads always train, and the runner adds them itself.
//  4. Count gives, from the model config alone, the parameters the method adds and the
//     encoder-side parameters that train. Package-level Count combines that with a head
//     into Counts, the accounting that `bench params` prints and every result stores. The
//     runner checks it against the variables it actually marked trainable.
//
// Method variables are initialised as the authors' code initialises them (truncated normal,
// biases zero; tensors.go). Their forward code frees every temporary on every path.
package methods
