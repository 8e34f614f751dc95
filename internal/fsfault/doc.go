// Package fsfault makes file writes fail, for tests of what a failed write leaves behind. It
// uses the kernel's own limit on file sizes (RLIMIT_FSIZE), so the failure is a real one: the
// first bytes of a write land on disk and the rest fails with EFBIG, as a write on a full
// disk stops part-way with ENOSPC. No file-system layer has to be threaded through the code.
package fsfault
