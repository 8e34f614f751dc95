package fsfault

import (
	"os/signal"
	"syscall"
	"testing"
)

// LimitFileSize makes every write of this process past the first n bytes of a regular file
// fail (EFBIG) until the test ends. The limit is process-wide: a test that uses it must not
// run in parallel with others that write files. SIGXFSZ, which the kernel sends with the
// error, is ignored meanwhile (its default action ends the process).
func LimitFileSize(t testing.TB, n uint64) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatalf("getrlimit: %v", err)
	}
	signal.Ignore(syscall.SIGXFSZ)
	lim := old
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		signal.Reset(syscall.SIGXFSZ)
		t.Fatalf("setrlimit: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Errorf("restore the file size limit: %v", err)
		}
		signal.Reset(syscall.SIGXFSZ)
	})
}
