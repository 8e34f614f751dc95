// Package faults holds the fault-injection suite of the results directory (make test-faults):
// a test program behind the build tag "faults" that builds the real bench binary and runs the
// tiny matrix of scale/fixture under faults, checking what a results directory promises
// (README: "What a results directory guarantees"):
//
//   - kill -9 at random moments, each followed by a resume: every cell is recorded exactly
//     once (a recorded result is never rewritten) and the results, predictions included, are
//     bit-identical to an uninterrupted run's;
//   - four concurrent workers on one directory (bench run unsharded and sharded, bench
//     run-cell): each cell is trained exactly once, counted from the workers' output;
//   - a full disk (a small tmpfs as the results root; needs root, skipped with a message
//     where mount is not permitted): bench fails with an error naming the path, nothing
//     half-written counts as done, and a resume once space is freed completes the matrix;
//   - SIGINT and SIGTERM at random moments, start-up included: a clean stop with a message
//     and status 130 or 143, and a resume completes the matrix.
//
// The moments are drawn from a seeded generator; the seed is printed, and FAULTS_SEED=N
// replays it. FAULTS_BENCH=PATH tests another build of bench instead of building one. The
// verdicts hold for any timing: they do not depend on where a fault lands. The suite prints
// its counts (kills, resumes, cells, trainings). It takes a few minutes on two cores, so
// `make test` leaves it out (without the tag this package has no tests).
package faults
