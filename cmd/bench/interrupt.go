package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Interrupts. Ctrl-C (SIGINT) and a batch system's stop (SIGTERM) end bench with a message
// and the status a shell gives a process the signal killed (130, 143), from the first line
// of main on; Go's default would end the process silently. A command that stops cleanly
// (run, run-cell, pretrain, perf) takes the signals over with interruptContext: its context
// is cancelled instead, and the command ends itself, with interrupted's error.

// interrupts holds the cancel functions of the commands that take signals over, the latest
// last.
var interrupts struct {
	mu      sync.Mutex
	cancels []*context.CancelCauseFunc
}

// signalCause is the cause of a context that a signal cancelled.
type signalCause struct{ sig syscall.Signal }

func (c signalCause) Error() string { return "stopped by " + signalName(c.sig) }

var catchOnce sync.Once

// catchInterrupts installs the process's handler of SIGINT and SIGTERM, once. Call it first
// thing in main: a signal before it kills the process without a word.
func catchInterrupts() { catchOnce.Do(handleInterrupts) }

func handleInterrupts() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for s := range ch {
			sig, _ := s.(syscall.Signal)
			interrupts.mu.Lock()
			if n := len(interrupts.cancels); n > 0 {
				(*interrupts.cancels[n-1])(signalCause{sig})
				interrupts.mu.Unlock()
				continue
			}
			interrupts.mu.Unlock()
			// Nothing to stop cleanly: results are written whole or not at all, so ending
			// here loses nothing finished.
			fmt.Fprintf(os.Stderr, "bench: stopped by %s\n", signalName(sig))
			os.Exit(128 + int(sig))
		}
	}()
}

// interruptContext returns a context that SIGINT or SIGTERM cancels, in place of ending the
// process, until stop is called; like signal.NotifyContext, but sharing catchInterrupts'
// handler so that no signal finds neither.
func interruptContext() (ctx context.Context, stop func()) {
	catchInterrupts()
	ctx, cancel := context.WithCancelCause(context.Background())
	entry := &cancel
	interrupts.mu.Lock()
	interrupts.cancels = append(interrupts.cancels, entry)
	interrupts.mu.Unlock()
	return ctx, func() {
		interrupts.mu.Lock()
		for i, e := range interrupts.cancels {
			if e == entry {
				interrupts.cancels = append(interrupts.cancels[:i], interrupts.cancels[i+1:]...)
				break
			}
		}
		interrupts.mu.Unlock()
		cancel(nil)
	}
}

// interrupted is the error that ends a command whose interruptContext was cancelled: msg, and
// the exit status of the signal (130 for SIGINT, 143 for SIGTERM).
func interrupted(ctx context.Context, msg string) error {
	code := 130
	var c signalCause
	if errors.As(context.Cause(ctx), &c) {
		code = 128 + int(c.sig)
		msg = fmt.Sprintf("%s (%s)", msg, signalName(c.sig))
	}
	return &exitError{code: code, msg: msg}
}

func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}
