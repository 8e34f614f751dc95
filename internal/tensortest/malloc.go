//go:build linux && cgo

package tensortest

/*
#include <malloc.h>

static size_t inUse(void) { return mallinfo2().uordblks; }
*/
import "C"

import "testing"

// MallocInUse is the C heap's bytes in use (glibc's mallinfo2): where a loop of tensor calls
// leaks small C blocks, RSS hides them in pages already mapped, this does not.
func MallocInUse(t testing.TB) int64 {
	t.Helper()
	return int64(C.inUse())
}
