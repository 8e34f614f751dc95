// Package methods holds the tuning methods the benchmark compares. A method attaches its own
// parameters to the encoder, hooks them into the forward pass through the encoder's extension
// points, and says which variables train. The runner looks methods up by name and never
// switches on one.
//
// # What a method is, and how it attaches
//
// A method is two files and its test. x.go says what the method is: its options, their
// defaults and validation, Trains, Count, the check against a model config and the positions
// it uses; it registers the method in init. It is plain Go and builds with CGO_ENABLED=0, so a
// tool that only plans or reports computes the same cell ids and counts as the full binary.
// x_torch.go (build constraint cgo) says how it attaches: Attach, its forward hooks and a
// compile-time check that the type is a Method. The methods are finetune.go (fine-tuning),
// ptuning.go (p-tuning-v2 and prefix-tuning), fltuning.go, lora.go, bitfit.go, ia3.go,
// adapter.go (adapter and parallel-adapter) and prompt.go (prompt-tuning), with their _torch.go
// files; a new method is x.go + x_torch.go + its test, and registering it is all it takes for
// the conformance and parity tests (which iterate over the registry; parity needs its case in
// testdata/ref_methods.py), `bench params` and configs to know it.
// tensors.go, the variable initialisation the torch files share, is cgo-only too.
//
// # Registry and options
//
// Register adds a name, a one-line summary and a Factory, which returns a Spec: name, resolved
// options, Trains and Count. Names lists the registered methods, and NewSpec builds one from
// the YAML options node of experiments.yaml; SettingsNode turns key=value strings, the CLI's
// --set, into such a node. In a cgo build, Method is a Spec with Attach, and New and
// FromSettings build one as NewSpec does (with an options node and with --set strings).
// Options are decoded strictly, so an unknown key or a wrong type is an error, and the factory
// validates their values. Spec.Options returns them with the defaults filled in. Their JSON
// form is part of a cell's identity, so a change to a default changes the id of every cell
// that uses it.
//
// # From options to training
//
// The runner uses a method in this order:
//
//  1. Check and MaxSeqLen test the options against the model config before anything is
//     built. For example, FL-tuning's layer indices must exist, and P-tuning v2 with
//     shifted positions leaves fewer positions for tokens.
//  2. Attach runs after the encoder is built and before the checkpoint is loaded. It creates
//     the method's variables under its own path, outside the encoder's namespace ("bert.",
//     "nezha.", "roformer."), so that loading the checkpoint leaves them alone. It hooks
//     them in through model.Encoder's attachment points: P-tuning v2 sets per-layer
//     key/value prefixes (SetKVPrefix), and FL-tuning hooks the FFN output map
//     (SetLinearHook), adding a branch that reads the FFN input.
//  3. Trains decides, by full variable name, which encoder and method variables train. Task
//     heads always train, and the runner adds them itself.
//  4. Count gives, from the model config alone, the parameters the method adds and the
//     encoder-side parameters that train. Package-level Count combines that with a head
//     into Counts, the accounting that `bench params` prints and every result stores. The
//     runner checks it against the variables it actually marked trainable.
//
// # Size and budget
//
// A method with a size knob (LoRA's r, FL-tuning's units, an adapter's bottleneck, a prefix's
// or prompt's length) implements the unexported sizer interface (budget.go) and takes a
// `budget` option: the knob is then solved from the model config for the trainable count
// nearest that share of fine-tuning's. SizeOf reports the knob, its value and the share;
// whether a method trains encoder weights follows from Count (trainable backbone beyond what it
// adds) and Trains, so nothing outside this package needs a method's name.
//
// Method variables are initialised as the authors' code initialises them (truncated normal,
// biases zero; tensors.go). Their forward code frees every temporary on every path.
package methods
