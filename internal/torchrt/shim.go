package torchrt

// These C functions are compiled into gotch's libtch (torch_api.cpp) but have no Go wrapper.
// Declaring them here and linking against the same objects is enough.

/*
#include <stdint.h>
extern int at_get_num_threads();
extern void at_set_num_threads(int n_threads);
extern void at_manual_seed(int64_t seed);
extern void atc_synchronize(int64_t device_index);
*/
import "C"

import (
	"os"

	"github.com/sugarme/gotch"
	_ "github.com/sugarme/gotch/libtch" // provides the symbols above
)

// NumThreads returns libtorch's intra-op thread count for the calling OS thread.
func NumThreads() int { return int(C.at_get_num_threads()) }

// SetNumThreads sets libtorch's intra-op thread count, and OpenBLAS's unless
// OPENBLAS_NUM_THREADS says otherwise. libtorch sizes its OpenMP pool only; OpenBLAS, which
// runs the matrix products, keeps one thread per core by default. So a process asked for one
// thread would still run its products on every core, and two such processes side by side
// (bench run --workers 2) would run four threads on two cores.
func SetNumThreads(n int) {
	C.at_set_num_threads(C.int(n))
	if _, set := os.LookupEnv("OPENBLAS_NUM_THREADS"); !set && n > 0 {
		setOpenBLASThreads(n)
	}
}

// ManualSeed seeds libtorch's default generators (CPU and CUDA).
func ManualSeed(seed int64) { C.at_manual_seed(C.int64_t(seed)) }

// Synchronize waits until every kernel queued on a CUDA device has finished; a no-op for the
// CPU. CUDA kernels run asynchronously, so a clock read without it times the queueing only.
func Synchronize(d gotch.Device) {
	if d.IsCuda() {
		C.atc_synchronize(C.int64_t(d.Value))
	}
}
