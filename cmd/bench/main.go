package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// commands are the `bench` subcommands by name; root groups them, as data groups its own.
var (
	commands = map[string]*command{}
	root     = &command{subs: commands}
)

func register(c *command) { root.add(c) }

// startProcess runs first in main. The libtorch build sets it (torch.go) to the process-wide
// settings libraries read when they load; a build without cgo has nothing to set.
var startProcess = func() {}

// cleanError shortens a failure's message for the console; the libtorch build sets it to cut
// libtorch's C++ backtrace and gotch's Go stack (torch.go).
var cleanError = func(msg string) string { return msg }

func main() {
	catchInterrupts() // first: an interrupt during start-up must end with a message too
	startProcess()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the process exit status. Every error is printed
// here, once, prefixed with the command it concerns.
func run(args []string, stdout, stderr io.Writer) int {
	c, err := root.dispatch(args, stdout, stderr)
	if err == nil {
		return 0
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		ee = &exitError{code: 1, msg: cleanError(err.Error())}
	}
	if ee.msg != "" {
		fmt.Fprintf(stderr, "%s: %s\n", c.title(), ee.msg)
	}
	return ee.code
}
