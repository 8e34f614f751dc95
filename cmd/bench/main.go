package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/clue-bench/clue-bench/internal/torchrt"
)

// commands are the `bench` subcommands by name; root groups them, as data groups its own.
var (
	commands = map[string]*command{}
	root     = &command{subs: commands}
)

func register(c *command) { root.add(c) }

func main() {
	catchInterrupts()
	if torchrt.ServeBLASProbe(os.Stdout) {
		os.Exit(0) // this process only answered bench's test of an OpenBLAS kernel
	}
	torchrt.EnsureEnv()
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
		ee = &exitError{code: 1, msg: err.Error()}
	}
	if ee.msg != "" {
		fmt.Fprintf(stderr, "%s: %s\n", c.title(), ee.msg)
	}
	return ee.code
}
