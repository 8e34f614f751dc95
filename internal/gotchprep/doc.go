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
//  2. Prepare copies the module to OutDir+".tmp". It rewrites libtch/lib.go with this
//     libtorch's cgo flags (Libtorch.CgoFile) and adds libtch/buildinfo.go, which records
//     the libtorch the copy was made for.
//  3. Prepare has the C++ compiler check libtch/torch_api.cpp, which includes the generated
//     wrappers (-fsyntax-only). FailingLines reads the lines the errors point at. Disable
//     replaces the body of each failing wrapper with one that sets
//     gotch's error "<wrapper>: not available in libtorch <version>", so that calling it
//     returns an error in Go instead of breaking the build. An error can hide others, so
//     Prepare repeats the compile check until it passes (at most four checks).
//  4. Prepare writes the list of disabled wrappers and a Stamp into the copy. It then
//     removes the old OutDir and renames the copy into its place.
//
// The Stamp holds a Fingerprint of everything that decides the copy's content: this
// package's version, the gotch version, and the libtorch's paths, version, ABI and CUDA
// flag, along with the size and time of its library file. Prepare returns at once when the
// stamp in OutDir carries the same fingerprint.
package gotchprep
