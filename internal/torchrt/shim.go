package torchrt

// These C functions are compiled into gotch's libtch (torch_api.cpp) but have no Go wrapper.
// Declaring them here and linking against the same objects is enough.

/*
#include <stdint.h>
extern int at_get_num_threads();
extern void at_set_num_threads(int n_threads);
extern void at_manual_seed(int64_t seed);
*/
import "C"

import _ "github.com/sugarme/gotch/libtch" // provides the symbols above

// NumThreads returns libtorch's intra-op thread count for the calling OS thread.
func NumThreads() int { return int(C.at_get_num_threads()) }

// SetNumThreads sets libtorch's intra-op thread count.
func SetNumThreads(n int) { C.at_set_num_threads(C.int(n)) }

// ManualSeed seeds libtorch's default generators (CPU and CUDA).
func ManualSeed(seed int64) { C.at_manual_seed(C.int64_t(seed)) }
