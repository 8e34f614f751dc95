// Package perf measures the harness against PyTorch eager on the same libtorch, and the
// harness's own overhead. It is what `bench perf` (and `make perf`) runs.
//
// Three measurements, each in child processes so that one cannot warm, fragment or leak into
// the next and each reports its own peak RSS:
//
//  1. Throughput (compare.go): training steps/s of our loop (ours.go: the encoder, method,
//     head, AdamW and clipping the runner uses, step for step as bench's training loop) and of
//     reference.py (a hand-written eager PyTorch BERT with the same three methods), on the same
//     shapes, thread count, dtype and BLAS, on the CPU or one CUDA device (Workload.Device;
//     both sides then synchronise it before every clock read). Repetitions alternate the two
//     sides (ABBA) so that drifting load on a shared machine hits both alike; medians are
//     compared. The comparison is refused when the two sides report different devices, map
//     different BLAS libraries, run different thread counts or train different numbers of
//     parameters.
//  2. Overhead (overhead.go): real cells through `bench run`; the share of wall time outside
//     the training steps, 1 − train_s/wall_s, from the result files.
//  3. Memory (memory.go): RSS of a `bench run` process sampled at every evaluation over 5,000
//     steps of tiny cells, after a warm-up; it must stay within ±5%.
//
// report.go turns the three into JSON and a Markdown table with each target's pass or miss.
package perf
