//go:build cgo

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// asMain, set in the environment, makes this test binary run bench's main, start-up included;
// heldSignal makes it re-execute itself as bench the way torchrt.EnsureEnv does, with a
// SIGINT already pending.
const (
	asMain     = "CLUE_BENCH_TEST_AS_MAIN"
	heldSignal = "CLUE_BENCH_TEST_HELD_SIGNAL"
)

// mainCommand runs this test binary as bench with args, without the re-execution that picks
// OpenBLAS's kernel (the variables it would add are set).
func mainCommand(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), asMain+"=1", "OMP_WAIT_POLICY=passive")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	return cmd, &stderr
}

// An interrupt before the command has set up its own handling (here: while it waits to read
// its config) ends bench with a message and status 130, not silently by the signal.
func TestInterruptBeforeTheCommandIsReady(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "experiments.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, stderr := mainCommand(t, "run", "-c", fifo)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Opening the FIFO for writing returns once bench has opened it for reading: main has run.
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if code := exitCode(err); code != 130 || !strings.Contains(stderr.String(), "bench: stopped by SIGINT") {
		t.Fatalf("exit %d (%v), want 130 with a message; stderr:\n%s", code, err, stderr.String())
	}
}

// An interrupt that arrives while bench re-executes itself (torchrt.EnsureEnv: the new image
// is in the dynamic loader, and no Go code runs yet) is held for the new process, which ends
// with the message and status 130, neither killed silently nor running on.
func TestInterruptWhileReexecuting(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "version")
	cmd.Env = append(os.Environ(), heldSignal+"=1", "OMP_WAIT_POLICY=passive")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if code := exitCode(err); code != 130 || !strings.Contains(stderr.String(), "bench: stopped by SIGINT") {
		t.Fatalf("exit %d (%v), want 130 with a message; stdout:\n%s\nstderr:\n%s", code, err, stdout.String(), stderr.String())
	}
}

// reexecWithHeldSignal does what torchrt.EnsureEnv does when it re-executes the program, with
// a SIGINT arriving just before exec: blocked on the exec'ing thread, it is pending in the new
// image. It returns only if exec fails.
func reexecWithHeldSignal() {
	runtime.LockOSThread()
	set := uint64(1) << (syscall.SIGINT - 1)
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 0 /* SIG_BLOCK */, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0); errno != 0 {
		return
	}
	if err := syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGINT); err != nil {
		return
	}
	env := []string{asMain + "=1", "CLUE_BENCH_REEXEC=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, heldSignal+"=") {
			env = append(env, kv)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	_ = syscall.Exec(exe, os.Args, env)
}
