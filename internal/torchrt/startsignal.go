package torchrt

// An interrupt must not be lost, nor kill the process silently, while EnsureEnv re-executes the
// program: the new image spends a good part of a second in the dynamic loader (libtorch is
// large) before any Go code runs, and the dispositions of caught signals do not survive exec.
// So EnsureEnv blocks SIGINT and SIGTERM on the thread that calls exec; a blocked signal stays
// pending across exec. In the new image, the constructor below runs after the libraries are
// loaded and before the Go runtime (which unblocks both signals and would die of a pending
// one before main can catch it): it takes a pending SIGINT or SIGTERM off the pending set,
// remembers it, and unblocks both. EnsureEnv, called in main once the program catches
// signals, sends the remembered one again.

/*
#include <signal.h>
#include <stdlib.h>
#include <time.h>

static int cb_start_signal;

__attribute__((constructor)) static void cb_take_start_signal(void) {
	if (getenv("CLUE_BENCH_REEXEC") == NULL) return;
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	struct timespec none = {0, 0};
	int sig;
	while ((sig = sigtimedwait(&stop, NULL, &none)) > 0) {
		if (cb_start_signal == 0) cb_start_signal = sig;
	}
	pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
}

static int cb_get_start_signal(void) { return cb_start_signal; }

static int cb_block_stop_signals(int block) {
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	return pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &stop, NULL);
}
*/
import "C"

import (
	"os"
	"runtime"
	"syscall"
)

// execHoldingSignals re-executes the program like syscall.Exec, with SIGINT and SIGTERM
// blocked on the calling thread so that one that arrives while the new image starts waits
// for it. It returns only when exec fails, with the signals as they were.
func execHoldingSignals(exe string, args, env []string) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	C.cb_block_stop_signals(1)
	err := syscall.Exec(exe, args, env)
	C.cb_block_stop_signals(0)
	return err
}

// resendStartSignal sends again a SIGINT or SIGTERM that arrived while this re-executed
// process started (held by execHoldingSignals, taken by the constructor above).
func resendStartSignal() {
	if sig := C.cb_get_start_signal(); sig != 0 {
		_ = syscall.Kill(os.Getpid(), syscall.Signal(sig))
	}
}
