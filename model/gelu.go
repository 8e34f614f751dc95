//go:build cgo

package model

/*
// Compiled into gotch's libtch; declared here to call it with a constant string. libtch's Go
// wrapper copies the approximation name into a C string per call and never frees it.
extern void atg_gelu(void **out, void *self, char *approximate_ptr, int approximate_len);

static char geluNone[] = "none", geluTanh[] = "tanh";

static void gelu(void **out, void *self, int tanhForm) {
	if (tanhForm) {
		atg_gelu(out, self, geluTanh, 4);
	} else {
		atg_gelu(out, self, geluNone, 4);
	}
}
*/
import "C"

import (
	"unsafe"

	"github.com/sugarme/gotch/libtch"
)

// atgGelu is libtch.AtgGelu without its per-call C-string leak; approximate is "none" (the
// exact erf form) or "tanh".
func atgGelu(out *libtch.Ctensor, self libtch.Ctensor, approximate string) {
	tanhForm := C.int(0)
	if approximate == "tanh" {
		tanhForm = 1
	}
	C.gelu((*unsafe.Pointer)(unsafe.Pointer(out)), unsafe.Pointer(self), tanhForm)
}
