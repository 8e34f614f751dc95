// Package fused holds CPU loops that do in one parallel pass what libtorch 1.13's eager
// kernels do in several, or serially: AdamW's update (eight tensor passes per parameter
// eagerly, one here) and the random draws of a dropout mask (libtorch draws them one by one from
// a Mersenne Twister behind a lock; here each element's bits are a hash of its index, so any
// number of workers fills the mask in parallel and gets the same mask).
//
// The functions work on float32 slices, usually the storage of contiguous CPU tensors; callers
// keep libtorch's eager path for everything else (CUDA, other dtypes, strided tensors). The C
// is compiled without FMA contraction and with one clone per vector width, so results do not
// depend on the CPU's vector units or on the number of workers.
package fused
