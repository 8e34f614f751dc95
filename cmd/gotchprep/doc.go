// Command gotchprep prepares a copy of the gotch module adapted to the libtorch named by
// $LIBTORCH (default: Debian's libtorch-dev), in a cache directory that every checkout of the
// project on the machine shares. The Makefile's gotch target runs it and then points go.work
// at the copy with a replace directive. Running it again with the same libtorch does nothing.
//
// The copies live in -cache (default $CLUE_BENCH_GOTCH_DIR, else
// ${XDG_CACHE_HOME:-$HOME/.cache}/clue-bench/gotch), one subdirectory per gotch version and
// gotchprep.Fingerprint, e.g. v0.9.1-0123456789abcdef; different libtorches get copies side
// by side. Sharing one directory matters beyond the copy itself: Go's build cache keys a
// package outside GOROOT by its directory, so every checkout that builds against the same
// copy reuses the compiled cgo package libtch (minutes of C++) instead of compiling it again.
//
// It reads the gotch version that go.mod requires and fetches that module with `go mod
// download`. It then resolves the libtorch (gotchprep.Find) and hands both to
// gotchprep.Prepare, which prepares under a file lock, so concurrent runs prepare a copy
// once. Finally it prints, on stderr, the libtorch version, whether the copy was prepared or
// already up to date and how many of gotch's C wrappers were disabled (they are listed in the
// copy's disabled-wrappers.txt), and on stdout the copy's absolute directory alone.
//
//	gotchprep [-cache dir] [-gomod go.mod]
package main
