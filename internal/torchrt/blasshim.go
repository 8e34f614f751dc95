package torchrt

// OpenBLAS's own query functions and the CBLAS GEMM are looked up at run time in whatever the
// process loaded (libtorch links the system BLAS), so a libtorch with MKL inside, or any other
// BLAS, simply reports no OpenBLAS kernel.

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

typedef char *(*corename_fn)(void);
typedef int (*threads_fn)(void);
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);

static const char *cb_openblas_corename(void) {
	corename_fn f = (corename_fn)dlsym(RTLD_DEFAULT, "openblas_get_corename");
	return f ? f() : NULL;
}

static int cb_openblas_threads(void) {
	threads_fn f = (threads_fn)dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
	return f ? f() : 0;
}

typedef void (*set_threads_fn)(int);

static int cb_openblas_set_threads(int n) {
	set_threads_fn f = (set_threads_fn)dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
	if (!f) return 0;
	f(n);
	return 1;
}

// Row-major C = A·B or A·Bᵀ through cblas_sgemm; returns 0 when the BLAS has none.
static int cb_sgemm(int m, int n, int k, const float *a, const float *b, int transB, float *c) {
	sgemm_fn f = (sgemm_fn)dlsym(RTLD_DEFAULT, "cblas_sgemm");
	if (!f) return 0;
	// CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112
	f(101, 111, transB ? 112 : 111, m, n, k, 1.0f, a, k, b, transB ? k : n, 0.0f, c, n);
	return 1;
}
*/
import "C"

import "unsafe"

// openblasCore is the kernel OpenBLAS selected and its thread count; "" when the process has no
// OpenBLAS.
func openblasCore() (string, int) {
	name := C.cb_openblas_corename()
	if name == nil {
		return "", 0
	}
	return C.GoString(name), int(C.cb_openblas_threads())
}

// setOpenBLASThreads sizes OpenBLAS's own thread pool; false when the process has no OpenBLAS.
func setOpenBLASThreads(n int) bool { return C.cb_openblas_set_threads(C.int(n)) != 0 }

// sgemm computes the row-major m×n product of a (m×k) and b (k×n, or n×k when transB) with the
// process's CBLAS; nil when there is none.
func sgemm(m, n, k int, a, b []float32, transB bool) []float32 {
	c := make([]float32, m*n)
	tb := C.int(0)
	if transB {
		tb = 1
	}
	ok := C.cb_sgemm(C.int(m), C.int(n), C.int(k), (*C.float)(unsafe.Pointer(&a[0])), (*C.float)(unsafe.Pointer(&b[0])), tb, (*C.float)(unsafe.Pointer(&c[0])))
	if ok == 0 {
		return nil
	}
	return c
}
