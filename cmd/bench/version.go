//go:build cgo

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"

	"github.com/clue-bench/clue-bench/internal/torchrt"
)

func init() {
	register(&command{
		name:    "version",
		summary: "print Go, gotch and libtorch versions, the BLAS library and kernel, thread count and device",
		flags:   versionFlags,
	})
}

func versionFlags(fs *flag.FlagSet) action {
	asJSON := fs.Bool("json", false, "print one JSON object")
	device := fs.String("device", "auto", "`DEVICE` to describe: auto, cpu, cuda or cuda:N")
	threads := fs.Int("threads", 0, "`N` libtorch threads to report, set as bench run sets them (0 = all logical cores)")
	return func(_ []string, stdout, stderr io.Writer) error {
		if err := intAtLeast("threads", *threads, 0, "0 = all logical cores"); err != nil {
			return err
		}
		torchrt.LockThread()
		n := *threads
		if n <= 0 {
			n = runtime.NumCPU()
		}
		torchrt.SetNumThreads(n)
		in, err := torchrt.Describe(*device)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(in)
		}
		fmt.Fprintf(stdout, "go        %s\n", in.Go)
		fmt.Fprintf(stdout, "gotch     %s\n", in.Gotch)
		fmt.Fprintf(stdout, "libtorch  %s (%s)\n", in.Libtorch, in.LibtorchRoot)
		fmt.Fprintf(stdout, "blas      %s [%s]\n", in.BLAS, torchrt.BLASKind(in.BLAS))
		if c := in.BLASCore; c.Core != "" {
			fmt.Fprintf(stdout, "kernel    OpenBLAS %s, %d threads (%s)\n", c.Core, c.Threads, c.Choice)
		}
		policy := in.WaitPolicy
		if policy == "" {
			policy = "OpenMP default (spinning)"
		}
		fmt.Fprintf(stdout, "threads   %d (OMP_WAIT_POLICY %s)\n", in.Threads, policy)
		fmt.Fprintf(stdout, "cuda      %v (%d devices)\n", in.CUDA, in.CUDADeviceCount)
		fmt.Fprintf(stdout, "device    %s: %s\n", in.Device, in.DeviceName)
		return nil
	}
}
