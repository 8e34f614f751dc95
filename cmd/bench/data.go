package main

import (
	"fmt"
	"io"
	"sort"
)

// dataCommands holds the `bench data <sub>` subcommands; each registers itself from its own file.
var dataCommands = map[string]*command{}

func registerData(c *command) {
	if _, dup := dataCommands[c.name]; dup {
		panic("bench data: duplicate subcommand " + c.name)
	}
	dataCommands[c.name] = c
}

func init() {
	register(&command{
		name:    "data",
		usage:   "<subcommand> [flags]",
		summary: "inspect CLUE data (check) or write the built-in mini-CLUE (gen)",
		run: func(args []string, stdout, stderr io.Writer) error {
			if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
				names := make([]string, 0, len(dataCommands))
				for n := range dataCommands {
					names = append(names, n)
				}
				sort.Strings(names)
				fmt.Fprintln(stderr, "usage: bench data <subcommand> [flags]\n\nsubcommands:")
				for _, n := range names {
					fmt.Fprintf(stderr, "  %-8s %s\n", n, dataCommands[n].summary)
				}
				if len(args) == 0 {
					return &exitError{code: 2}
				}
				return nil
			}
			c, ok := dataCommands[args[0]]
			if !ok {
				return &exitError{code: 2, msg: fmt.Sprintf("unknown subcommand %q (have: check, gen)", args[0])}
			}
			return c.run(args[1:], stdout, stderr)
		},
	})
}
