package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// command is one `bench` subcommand, or a group of them (the root, bench data). A subcommand
// declares its flags once, in flags; parsing, -h, the usage text, stray arguments, required
// flags and exit statuses are handled here, the same way for every command.
type command struct {
	name string // the word that selects it: "run", "check" (in bench data)
	// summary's first line says what the command does, in command lists; any further lines
	// are details for its -h.
	summary string
	// args names the positional arguments in the usage line ("TEXT [TEXT2]"), and maxArgs
	// is how many the command takes (none by default); more are stray, a usage error.
	args    string
	maxArgs int
	// unparsed hands every argument to the action as it is, flags included (the stand-ins for
	// libtorch commands in a build without cgo answer all calls alike).
	unparsed bool
	// required are flags that must be given, not empty; the usage line shows them.
	required []string
	// flags declares the command's flags on fs and returns what runs the command once they
	// are parsed, given the positional arguments.
	flags func(fs *flag.FlagSet) action

	parent *command            // the group it belongs to; nil for the root
	subs   map[string]*command // a group's subcommands; a group has no flags of its own
}

type action func(args []string, stdout, stderr io.Writer) error

// exitError ends a command with an exit status; its message, when not empty, is printed once
// by run.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageErrorf reports a usage error: a bad flag or argument, exit status 2.
func usageErrorf(format string, a ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, a...)}
}

// add puts c in the group g.
func (g *command) add(c *command) {
	if _, dup := g.subs[c.name]; dup {
		panic(fmt.Sprintf("%s: duplicate command %s", g.title(), c.name))
	}
	c.parent = g
	g.subs[c.name] = c
}

// path is what follows "bench" to run the command: "run", "data check"; "" for the root.
func (c *command) path() string {
	if c.parent == nil {
		return c.name
	}
	return strings.TrimSpace(c.parent.path() + " " + c.name)
}

// title is how messages name the command: "bench run", "bench data check", "bench".
func (c *command) title() string { return strings.TrimSpace("bench " + c.path()) }

// sorted lists a group's subcommands by name.
func (c *command) sorted() []*command {
	cs := make([]*command, 0, len(c.subs))
	for _, s := range c.subs {
		cs = append(cs, s)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	return cs
}

// dispatch runs the subcommand of the group g that args name and returns the command an
// error concerns. The root also answers `bench help [command...]`.
func (g *command) dispatch(args []string, stdout, stderr io.Writer) (*command, error) {
	if len(args) == 0 {
		g.usage(stderr)
		return g, &exitError{code: 2}
	}
	switch args[0] {
	case "-h", "-help", "--help":
		g.usage(stdout)
		return g, nil
	case "help":
		if g.parent == nil {
			return g.help(args[1:], stdout)
		}
	}
	c, ok := g.subs[args[0]]
	if !ok {
		return g, usageErrorf("unknown %s %q; run '%s' for the list", g.word(), args[0], g.helpCommand())
	}
	if c.subs != nil {
		return c.dispatch(args[1:], stdout, stderr)
	}
	return c, c.execute(args[1:], stdout, stderr)
}

// help prints the usage of the command that args name, as its -h does.
func (g *command) help(args []string, stdout io.Writer) (*command, error) {
	c := g
	for i, a := range args {
		if c.subs == nil {
			return &command{name: "help", parent: g}, usageErrorf("%s takes no subcommand %q", c.title(), a)
		}
		sub, ok := c.subs[a]
		if !ok {
			return &command{name: "help", parent: g}, usageErrorf("unknown command %q", strings.Join(args[:i+1], " "))
		}
		c = sub
	}
	c.usage(stdout)
	return c, nil
}

// word is what a group calls its members in messages.
func (g *command) word() string {
	if g.parent == nil {
		return "command"
	}
	return "subcommand"
}

// flagSet builds the command's FlagSet and the action that runs with it. The FlagSet prints
// nothing itself: execute reports parse errors, once, and -h prints usage.
func (c *command) flagSet() (*flag.FlagSet, action) {
	fs := flag.NewFlagSet(c.title(), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs, c.flags(fs)
}

// execute parses a subcommand's arguments and runs it: -h prints its usage (exit 0); a bad
// flag, a stray argument or a missing required flag is a usage error (exit 2).
func (c *command) execute(args []string, stdout, stderr io.Writer) error {
	fs, act := c.flagSet()
	if c.unparsed {
		return act(args, stdout, stderr)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage(stdout)
			return nil
		}
		return usageErrorf("%v", err)
	}
	if fs.NArg() > c.maxArgs {
		return strayArgs(fs.Args()[c.maxArgs:])
	}
	var missing []string
	for _, name := range c.required {
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
		if f := fs.Lookup(name); f == nil || !set || f.Value.String() == "" {
			missing = append(missing, "--"+name)
		}
	}
	switch n := len(missing); {
	case n == 1:
		return usageErrorf("%s is required", missing[0])
	case n > 1:
		return usageErrorf("%s and %s are required", strings.Join(missing[:n-1], ", "), missing[n-1])
	}
	return act(fs.Args(), stdout, stderr)
}

// strayArgs is the usage error for positional arguments a command does not take.
func strayArgs(args []string) error {
	if len(args) == 1 {
		return usageErrorf("unexpected argument %q", args[0])
	}
	return usageErrorf("unexpected arguments %q", args)
}

// usage prints what -h and `bench help` print: for a subcommand, a usage line with its
// required flags, its summary and its flags, generated from its FlagSet; for a group, its
// commands.
func (c *command) usage(w io.Writer) {
	if c.subs != nil {
		c.groupUsage(w)
		return
	}
	fs, _ := c.flagSet()
	nflags := 0
	fs.VisitAll(func(*flag.Flag) { nflags++ })
	line := []string{"usage:", c.title()}
	for _, name := range c.required {
		line = append(line, "--"+name)
		if f := fs.Lookup(name); f != nil {
			if arg, _ := flag.UnquoteUsage(f); arg != "" {
				line = append(line, arg)
			}
		}
	}
	if nflags > len(c.required) {
		line = append(line, "[flags]")
	}
	if c.args != "" {
		line = append(line, c.args)
	}
	fmt.Fprintf(w, "%s\n\n%s\n", strings.Join(line, " "), c.summary)
	if nflags > 0 {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

func (g *command) groupUsage(w io.Writer) {
	word := g.word()
	fmt.Fprintf(w, "usage: %s <%s> [flags]\n\n", g.title(), word)
	if g.summary != "" {
		fmt.Fprintf(w, "%s\n\n", g.summary)
	}
	fmt.Fprintf(w, "%ss:\n", word)
	width := 0
	for n := range g.subs {
		width = max(width, len(n))
	}
	for _, c := range g.sorted() {
		first, _, _ := strings.Cut(c.summary, "\n")
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, first)
	}
	fmt.Fprintf(w, "\nRun '%s <%s>' or '%s <%s> -h' for a %s's flags.\n", g.helpCommand(), word, g.title(), word, word)
}

// helpCommand is the command line that prints c's usage: "bench help data".
func (c *command) helpCommand() string { return strings.TrimSpace("bench help " + c.path()) }

// Checks of flag values, as usage errors that name the flag. A value the flag package parses
// can still mean nothing ("--limit -1") or something that fails far from the command line
// ("--z Inf" in a baseline that cannot be written as JSON).

// intAtLeast requires an integer flag to be at least least; meaning says what the smallest
// accepted values mean, for the message.
func intAtLeast(name string, v, least int, meaning string) error {
	if v >= least {
		return nil
	}
	if meaning != "" {
		meaning = " (" + meaning + ")"
	}
	return usageErrorf("--%s %d: must be at least %d%s", name, v, least, meaning)
}

// finiteAtLeast requires a float flag to be finite and at least least (above it when
// strict).
func finiteAtLeast(name string, v, least float64, strict bool) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return usageErrorf("--%s %v: must be a finite number", name, v)
	case strict && v <= least:
		return usageErrorf("--%s %v: must be greater than %v", name, v, least)
	case v < least:
		return usageErrorf("--%s %v: must be at least %v", name, v, least)
	}
	return nil
}

// firstError returns the first non-nil error, so that a command checks its flags in one
// statement.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
