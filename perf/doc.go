// Package perf measures the harness against PyTorch eager on the same libtorch, and the
// harness's own overhead. It is what `bench perf` (and `make perf`) runs.
//
// Three measurements, each in child processes so that one cannot warm, fragment or leak into
// the next and each reports its own peak RSS:
//
//  1. Throughput (compare.go): training steps/s of our loop (ours.go: the encoder, method,
//     head, AdamW and clipping the runner uses, step for step as bench's training loop) and of
//     reference.py (a hand-written eager PyTorch BERT, NEZHA or RoFormer, by the config's
//     model_type, with the same three methods), on the same shapes, thread count, dtype and
//     BLAS, on the CPU or one CUDA device (Workload.Device; both sides then synchronise it
//     before every clock read). Repetitions alternate the two
//     sides (ABBA) so that drifting load on a shared machine hits both alike; medians are
//     compared. The comparison is refused when the two sides report different devices, map
//     different BLAS libraries, run different thread counts or train different numbers of
//     parameters.
//
//     A size is shapes and an encoder architecture: "builtin" and "base" are BERT, and
//     "builtin-nezha", "base-roformer" and so on (Size.WithBackbone) the same shapes with a NEZHA
//     or RoFormer encoder. reference.py's NEZHA and RoFormer arithmetic is checked against the
//     model package's independent float64 fixtures (testdata/check_reference.py).
//
//     Before each size's steps, its roofline (roofline.go): a child process with the sides'
//     environment, thread count and device times, through libtorch's matmul, every matrix
//     product of one fine-tuning layer at that size's shapes (H×H projections, H→I and I→H
//     feed-forward, attention scores and context per head; forward and both gradients,
//     transposed operands as views) in float32 and bf16. The rate of one fine-tuning layer's
//     products at those speeds is the size's roofline (for a NEZHA size too: its relative-
//     position products are counted in its FLOPs but not timed here). A child rather than this process:
//     OpenBLAS sizes its thread pool and OpenMP reads OMP_WAIT_POLICY when libtorch loads, so
//     only a process started with the sides' environment (ThreadEnv) runs GEMMs as they do.
//     flops.go counts a step's matrix-product FLOPs from the shapes, per method as autograd
//     runs them (NEZHA's relative-position products and RoFormer's embeddings_project too),
//     and the report divides them by each side's median step time: achieved GFLOP/s and its
//     share of the float32 roofline. A roofline taken under another BLAS,
//     OpenBLAS kernel, thread count or device than our side's steps is refused like an
//     incomparable pair. Each side also times the step's products in its own process after
//     every timed step (gemmtime.go's stepProducts, reference.py's StepProducts): their time
//     over the step's is the step's share of its roofline taken at the step's own moment, which
//     a machine whose speed drifts between the roofline child and the steps cannot move; the
//     60% target at BERT-base judges that share.
//
//  2. Overhead (overhead.go): real cells through `bench run`; the share of wall time outside
//     the training steps, 1 − train_s/wall_s, from the result files, and the runner's own
//     share, which also leaves out the evaluations the config asks for (the 3% target).
//
//  3. Memory (memory.go): RSS of a `bench run` process sampled at every evaluation over 5,000
//     steps of tiny cells, after a warm-up; it must stay within ±5%.
//
// report.go turns the three into JSON with each target's pass or miss, and markdown.go into
// the tables of results.md.
package perf
