package torchrt

import (
	"os"
	"syscall"
)

// DefaultWaitPolicy is the OpenMP wait policy bench runs under unless OMP_WAIT_POLICY is set.
//
// libtorch's CPU operators run on an OpenMP pool, and OpenBLAS, called from inside them, keeps
// a thread pool of its own. With OpenMP's default policy the pool's idle threads spin, taking
// the cores OpenBLAS's threads need: on 2 cores a built-in fine-tuning step took 265 ms spinning
// and 106 ms with idle threads asleep, with bit-identical results.
const DefaultWaitPolicy = "passive"

// reexecMarker is set in the environment of the re-executed process, so that a failed or
// ignored setting can never loop.
const reexecMarker = "CLUE_BENCH_REEXEC"

// EnsureWaitPolicy makes the process run with OMP_WAIT_POLICY=DefaultWaitPolicy unless the
// variable is set already. The OpenMP runtime reads it once, when the library is loaded —
// before main — so setting it means replacing the process image: EnsureWaitPolicy re-executes
// the program with the same arguments and the variable added. Call it first thing in main. It
// returns (doing nothing) when the variable is set, or when re-executing fails.
func EnsureWaitPolicy() {
	if _, set := os.LookupEnv("OMP_WAIT_POLICY"); set {
		return
	}
	if _, again := os.LookupEnv(reexecMarker); again {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	env := append(os.Environ(), "OMP_WAIT_POLICY="+DefaultWaitPolicy, reexecMarker+"=1")
	_ = syscall.Exec(exe, os.Args, env) // returns only on failure: run on as we are
}

// WaitPolicy is the OpenMP wait policy in effect, as OMP_WAIT_POLICY names it ("" when unset:
// the OpenMP runtime's default, spinning for a while before sleeping).
func WaitPolicy() string { return os.Getenv("OMP_WAIT_POLICY") }
