// Package torchrt holds process-wide libtorch facts and settings: versions, the BLAS library
// and kernel in use, thread count, seeding, device selection and the OpenMP wait policy.
//
// Facts: Describe gathers an Info for a device. An Info holds the Go, gotch and libtorch
// versions (the libtorch that the prepared gotch copy was made for), the BLAS library mapped into
// the process, OpenBLAS's kernel and thread count and why that kernel runs, the thread count, the wait policy, CUDA availability and the device's name.
// The runner stores it in every result's provenance, and `bench version` prints it. BLAS
// reads /proc/self/maps, because which BLAS Debian's libtorch calls is decided by the
// system's alternatives, not by the build.
//
// Settings: SetNumThreads, ManualSeed and Synchronize call C functions that gotch compiles
// into libtch but does not wrap (shim.go). ParseDevice maps "auto", "cpu", "cuda" and
// "cuda:N" to a gotch device. EnsureEnv, called first in main, re-executes the program once
// with the variables that libraries read only when they load: OMP_WAIT_POLICY=passive unless
// it is set (idle OpenMP threads that spin take the cores that OpenBLAS's own threads need),
// and OPENBLAS_CORETYPE when OpenBLAS fell back to a generic kernel on a CPU that runs a
// better one and the variable is unset (blascore.go: the choice table, and a test GEMM in a
// child process, answered by ServeBLASProbe, that must give the default kernel's bits). An
// interrupt that arrives while the new image loads is held for it and sent again once the
// program catches signals (startsignal.go).
//
// libtorch's grad mode and thread settings belong to the OS thread, and goroutines move
// between OS threads. Every goroutine that runs libtorch work must therefore be locked to its
// thread first, with LockThread (runtime.LockOSThread).
package torchrt
