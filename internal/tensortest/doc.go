// Package tensortest holds the tensor helpers that the tests of several packages share. Each
// helper takes the test's testing.TB and fails the test on error instead of returning one, so
// that test code reads as a list of checks:
//
//   - Lock pins the test goroutine to its OS thread until the test ends. libtorch's grad mode
//     is per thread, and a goroutine that moves between threads would see another mode.
//   - Shape and Floats read a tensor's shape and its values as float32, whatever its
//     floating dtype or layout.
//   - MaxDiff is the largest elementwise difference between two tensors of one shape, with
//     NaN counted as infinite. For (B, T, H) tensors it can skip positions, such as padding.
//   - MallocInUse is the C heap's bytes in use (glibc), for tests that a loop of tensor calls
//     leaks no C memory.
//
// Only test files import this package.
package tensortest
