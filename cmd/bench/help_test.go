//go:build cgo

package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/help/*.golden from the commands' -h output")

// everyCommand lists the registry: every command and group below the root, and the
// subcommands of each group, in name order.
func everyCommand() []*command {
	var out []*command
	var walk func(g *command)
	walk = func(g *command) {
		for _, c := range g.sorted() {
			out = append(out, c)
			if c.subs != nil {
				walk(c)
			}
		}
	}
	walk(root)
	return out
}

// goldenPath is where a command's -h output is kept: testdata/help/<path>.golden, with
// "data check" as data_check and the root as bench.
func goldenPath(c *command) string {
	name := strings.ReplaceAll(c.path(), " ", "_")
	if name == "" {
		name = "bench"
	}
	return filepath.Join("testdata", "help", name+".golden")
}

// TestHelp checks every command's -h against its golden file, and that --help and
// `bench help <command>` print the same, to stdout with exit status 0.
func TestHelp(t *testing.T) {
	cmds := append([]*command{root}, everyCommand()...)
	var want []string
	for _, c := range cmds {
		want = append(want, goldenPath(c))
		t.Run(c.title(), func(t *testing.T) {
			words := strings.Fields(c.path())
			code, stdout, stderr := runBench(t, append(words, "-h")...)
			if code != 0 || stderr != "" || stdout == "" {
				t.Fatalf("-h: exit %d, stderr %q, stdout %q", code, stderr, stdout)
			}
			for _, args := range [][]string{append(words, "--help"), append([]string{"help"}, words...)} {
				code, out, errOut := runBench(t, args...)
				if code != 0 || errOut != "" || out != stdout {
					t.Errorf("bench %s: exit %d, stderr %q, stdout differs from -h:\n%s", strings.Join(args, " "), code, errOut, out)
				}
			}
			p := goldenPath(c)
			if *update {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			golden, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("%v (go test ./cmd/bench -run Help -update writes it)", err)
			}
			if stdout != string(golden) {
				t.Errorf("-h differs from %s (go test ./cmd/bench -run Help -update rewrites it):\n%s", p, stdout)
			}
		})
	}
	have, err := filepath.Glob(filepath.Join("testdata", "help", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range have {
		if !slices.Contains(want, p) {
			t.Errorf("%s belongs to no command; delete it", p)
		}
	}
}

// TestHelpDeclarations checks what the usage text is generated from: every required flag
// exists, every flag says what it is for, and positional arguments shown are taken.
func TestHelpDeclarations(t *testing.T) {
	for _, c := range everyCommand() {
		if c.subs != nil {
			continue
		}
		fs, _ := c.flagSet()
		for _, name := range c.required {
			if fs.Lookup(name) == nil {
				t.Errorf("%s: required flag --%s is not declared", c.title(), name)
			}
		}
		fs.VisitAll(func(f *flag.Flag) {
			if strings.TrimSpace(f.Usage) == "" {
				t.Errorf("%s: --%s has no usage text", c.title(), f.Name)
			}
		})
		if c.args != "" && c.maxArgs == 0 {
			t.Errorf("%s: shows arguments %q but takes none", c.title(), c.args)
		}
	}
}

// TestUsageErrors checks that every command rejects an unknown flag, a stray argument and a
// missing required flag with exit status 2 and one line that names the problem.
func TestUsageErrors(t *testing.T) {
	oneLine := func(t *testing.T, args []string, want string) {
		t.Helper()
		code, stdout, stderr := runBench(t, args...)
		if code != 2 || stdout != "" || stderr != want+"\n" {
			t.Errorf("bench %s: exit %d, stdout %q, stderr %q; want exit 2 and stderr %q",
				strings.Join(args, " "), code, stdout, stderr, want)
		}
	}
	for _, c := range everyCommand() {
		words := strings.Fields(c.path())
		t.Run(c.title(), func(t *testing.T) {
			if c.subs != nil {
				oneLine(t, append(words, "no-such-command"),
					fmt.Sprintf(`%s: unknown subcommand "no-such-command"; run 'bench help %s' for the list`, c.title(), c.path()))
				return
			}
			oneLine(t, append(words, "--no-such-flag"), c.title()+": flag provided but not defined: -no-such-flag")
			// One more positional argument than the command takes: the last is stray.
			args := words
			for range c.maxArgs + 1 {
				args = append(args, "stray")
			}
			oneLine(t, args, c.title()+`: unexpected argument "stray"`)
			if len(c.required) > 0 {
				code, _, stderr := runBench(t, words...)
				if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, c.title()+": --"+c.required[0]) ||
					!strings.Contains(stderr, "required") {
					t.Errorf("no flags: exit %d, stderr %q; want exit 2 and one line saying --%s is required", code, stderr, c.required[0])
				}
			}
		})
	}
	top := []struct {
		args []string
		want string
	}{
		{[]string{"no-such-command"}, `bench: unknown command "no-such-command"; run 'bench help' for the list`},
		{[]string{"--no-such-flag"}, `bench: unknown command "--no-such-flag"; run 'bench help' for the list`},
		{[]string{"help", "no-such-command"}, `bench help: unknown command "no-such-command"`},
		{[]string{"help", "ls", "tasks"}, `bench help: bench ls takes no subcommand "tasks"`},
	}
	for _, tc := range top {
		oneLine(t, tc.args, tc.want)
	}
	// Without a command, the usage goes to stderr.
	golden, err := os.ReadFile(goldenPath(root))
	if err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runBench(t); code != 2 || stdout != "" || stderr != string(golden) {
		t.Errorf("bench: exit %d, stdout %q, stderr %q; want exit 2 and the usage on stderr", code, stdout, stderr)
	}
}
