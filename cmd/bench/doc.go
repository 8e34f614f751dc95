// Command bench runs the clue-bench harness. It plans and runs a matrix of CLUE tasks ×
// tuning methods × settings × seeds, and turns the results into tables.
//
// Each subcommand lives in its own file and registers itself in init; main only dispatches.
// main first installs interrupt handling (interrupt.go), then, in the libtorch build
// (torch.go), answers bench's OpenBLAS kernel probe if it was started as one and calls
// torchrt.EnsureEnv, which may re-execute the binary once so that OpenMP and OpenBLAS start
// with OMP_WAIT_POLICY=passive and a better kernel. run(args, stdout, stderr) then picks the
// command (cli.go: flags, usage, exit statuses) and turns its error into the exit status. An
// exitError carries a specific status, for example 1 when a cell failed or 2 for a usage
// error. Tests call run directly.
//
// Built without cgo (CGO_ENABLED=0) there is no libtorch: torch.go and the commands that
// train or touch tensors are left out, and nolibtorch.go puts stand-ins in their place that
// say so; planning, status, reports, accounting and data commands work as in the full build.
//
// # Commands
//
// The matrix:
//
//   - run trains the pending cells of a config (package bench). With --devices it starts one
//     worker process per GPU instead, each on its own shard.
//   - plan lists the cells with their status and estimated steps. With --freeze it writes a
//     plan file.
//   - run-cell runs one cell of a frozen plan. It is the unit of work of job arrays and pods.
//   - slurm and k8s freeze a plan and render an sbatch array or an Indexed Job (package
//     scale).
//   - status shows each cell of a plan as done, failed, running, pending or stale.
//
// The results:
//
//   - report writes the tables, plots and claim checks (package reports).
//   - baseline and compare are the regression gate.
//
// Data, models and the machine:
//
//   - data check validates a task's files, and data gen writes mini-CLUE.
//   - fetch model puts a Hugging Face hub model in the hub cache (package hub), and fetch
//     data downloads the CLUE and FewCLUE data (package fetch). run and run-cell do the same
//     on first use for a backbone written owner/name that is no directory and for data_dir:
//     clue (fetch.go).
//   - score scores a submission file.
//   - ls lists the registered tasks and methods.
//   - params prints a method's parameter accounting.
//   - embed encodes a text with a checkpoint.
//   - pretrain builds the built-in backbone.
//   - perf measures speed against PyTorch (package perf).
//   - version prints the runtime.
//
// # Shared steps
//
// The commands that read an experiments config go through loadPlan. It builds a
// plan.Registry from the clue and methods registries and from the built-in data and
// backbone versions (package builtin). It then loads the config, expands the cells and
// applies --only. Commands that train resolve "builtin" data and backbone paths to cached
// directories with resolveInputs, which generates or pre-trains them the first time.
package main
