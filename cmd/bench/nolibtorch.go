//go:build !cgo

package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
)

// A build without cgo has no libtorch: it plans, lists, checks data and reports, so that
// results copied off a cluster can be read on a laptop. The commands that train or touch
// tensors are still listed, and say how to get them, instead of being unknown words.
func init() {
	for name, what := range map[string]string{
		"run":      "train and evaluate the cells of a config",
		"run-cell": "run one cell of a frozen plan",
		"embed":    "print a checkpoint's embeddings",
		"perf":     "measure training speed against PyTorch",
		"predict":  "predict a data set with a cell's kept weights",
		"pretrain": "pre-train the built-in backbone",
	} {
		register(&command{
			name:     name,
			summary:  what + " (needs libtorch: not in this build)",
			unparsed: true,
			flags:    needsLibtorch,
		})
	}
	register(&command{
		name:    "version",
		summary: "print the Go version and that this build has no libtorch",
		flags: func(*flag.FlagSet) action {
			return func(_ []string, stdout, _ io.Writer) error {
				fmt.Fprintf(stdout, "go        %s\n", runtime.Version())
				fmt.Fprintln(stdout, "libtorch  none: built with CGO_ENABLED=0 (plan, status, report and compare only)")
				return nil
			}
		},
	})
}

func needsLibtorch(*flag.FlagSet) action {
	return func([]string, io.Writer, io.Writer) error {
		return fmt.Errorf("this bench was built without cgo (CGO_ENABLED=0), so it has no libtorch; build it with cgo (make build) to train or measure")
	}
}
