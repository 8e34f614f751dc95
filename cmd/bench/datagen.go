package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/clue-bench/clue-bench/miniclue"
)

func init() {
	registerData(&command{
		name:     "gen",
		summary:  "write the built-in mini-CLUE (CLUE/FewCLUE layouts, corpus.txt, MANIFEST.json); same flags, same bytes",
		required: []string{"out"},
		flags:    dataGenFlags,
	})
}

func dataGenFlags(fs *flag.FlagSet) action {
	out := fs.String("out", "", "output `DIR` (created if missing)")
	seed := fs.Int64("seed", 1, "generator seed")
	scale := fs.Float64("scale", 1, "size multiplier for train/dev/test files and corpus.txt (FewCLUE folds keep their sizes)")
	taskList := fs.String("tasks", "", "comma-separated `TASKS` (default all): "+strings.Join(miniclue.TaskNames(), ", "))
	return func(_ []string, stdout, stderr io.Writer) error {
		if err := finiteAtLeast("scale", *scale, 0, true); err != nil {
			return err
		}
		o := miniclue.Options{Seed: *seed, Scale: *scale}
		known := miniclue.TaskNames()
		for _, name := range strings.Split(*taskList, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			if !slices.Contains(known, name) {
				return usageErrorf("unknown task %q (have %s)", name, strings.Join(known, ", "))
			}
			o.Tasks = append(o.Tasks, name)
		}
		start := time.Now()
		m, err := miniclue.Generate(*out, o)
		if err != nil {
			return fmt.Errorf("generate into %s: %w", *out, err)
		}
		for _, line := range m.Summary() {
			fmt.Fprintln(stdout, line)
		}
		fmt.Fprintf(stdout, "%s: seed %d, scale %g, %d files, generator v%d (%.1fs)\n",
			*out, m.Seed, m.Scale, len(m.Files), m.Version, time.Since(start).Seconds())
		return nil
	}
}
