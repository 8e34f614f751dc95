package torchrt

import "os"

// DefaultWaitPolicy is the OpenMP wait policy bench runs under unless OMP_WAIT_POLICY is set.
//
// libtorch's CPU operators run on an OpenMP pool, and OpenBLAS, called from inside them, keeps
// a thread pool of its own. With OpenMP's default policy the pool's idle threads spin, taking
// the cores OpenBLAS's threads need: on 2 cores a built-in fine-tuning step took 265 ms spinning
// and 106 ms with idle threads asleep, with bit-identical results.
const DefaultWaitPolicy = "passive"

// WaitPolicy is the OpenMP wait policy in effect, as OMP_WAIT_POLICY names it ("" when unset:
// the OpenMP runtime's default, spinning for a while before sleeping).
func WaitPolicy() string { return os.Getenv("OMP_WAIT_POLICY") }
