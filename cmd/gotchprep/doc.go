// Command gotchprep prepares build/gotch: a copy of the gotch module adapted to the libtorch
// named by $LIBTORCH (default: Debian's libtorch-dev). The Makefile's gotch target runs it
// and then points go.work at the copy with a replace directive. Running it again with the
// same libtorch does nothing.
//
// It reads the gotch version that go.mod requires and fetches that module with `go mod
// download`. It then resolves the libtorch (gotchprep.Find) and hands both to
// gotchprep.Prepare. Finally it prints the libtorch version, whether the copy was prepared
// or already up to date, and how many of gotch's C wrappers were disabled. The disabled ones
// are listed in build/gotch/disabled-wrappers.txt.
//
//	gotchprep [-out build/gotch] [-gomod go.mod]
package main
