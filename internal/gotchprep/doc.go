// Package gotchprep prepares a private copy of gotch that compiles and links against the
// libtorch installed on this machine. Command gotchprep drives it.
//
// gotch v0.9.1's generated C wrappers target libtorch 2.1. Against another libtorch some of
// them do not compile: about a hundred fail against Debian's 1.13. The module cache is
// read-only, so the module has to be copied before it can be patched.
//
// # Steps
//
//  1. Find describes a libtorch installation as a Libtorch: its version (from
//     torch/version.h), include and library directories, C++11 ABI and whether CUDA libraries
//     are present. An empty root means Debian's packaged libtorch. Other roots are official
//     libtorch trees or Python torch package directories.
//  2. Prepare copies the module to a new temporary directory next to OutDir. It rewrites libtch/lib.go with this
//     libtorch's cgo flags (Libtorch.CgoFile) and adds libtch/buildinfo.go, which records
//     the libtorch the copy was made for. It splits libtch/c-generated.go into 16 files
//     (SplitGenerated), which makes cgo's first pass over the package three times faster,
//     and makes ts's generated Tensor methods that return one tensor free the C block the
//     result's handle comes back in (FreeReturnSlots): gotch leaks it on every call.
//  3. Prepare has the C++ compiler check libtch/torch_api.cpp, which includes the generated
//     wrappers (-fsyntax-only). FailingLines reads the lines the errors point at. Disable
//     replaces the body of each failing wrapper with one that sets
//     gotch's error "<wrapper>: not available in libtorch <version>", so that calling it
//     returns an error in Go instead of breaking the build. An error can hide others, so
//     Prepare repeats the compile check until it passes (at most four checks). Wrappers
//     that an earlier preparation found failing against the same libtorch version
//     (KnownFailing, shipped in known/) are disabled before the first check, which then
//     usually passes at once.
//  4. Prepare writes the list of disabled wrappers and, last, a Stamp into the copy. It then
//     moves aside an old OutDir, if any, and renames the copy into its place.
//
// The Stamp holds a Fingerprint of everything that decides the copy's content: this
// package's version, the gotch version, and the libtorch's paths, version, ABI and CUDA
// flag, along with the size and time of its library file. Prepare returns at once when the
// stamp in OutDir carries the same fingerprint; a copy without one, or with another, is
// prepared again.
//
// Copies are shared by every checkout on a machine: KeyedDir names one directory per gotch
// version and fingerprint under a cache root, so copies for several libtorches coexist.
// Checkouts may prepare at the same time, so Prepare works under a file lock next to OutDir
// (OutDir+".lock") and checks the stamp again once it holds the lock: the first preparer
// does the work, the others wait and then find its copy. Because the stamp comes last and the
// rename is atomic, a reader that finds a matching stamp finds a complete copy without
// taking the lock.
package gotchprep
