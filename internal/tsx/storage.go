package tsx

// gotch's AtDevice reads the C int it gets back as an 8-byte Go int, so its upper half is
// whatever followed on the stack; these few tensor queries are declared here with their C types.

/*
#include <stddef.h>
#include <stdint.h>
typedef void *tensor;
extern void *at_data_ptr(tensor);
extern int at_device(tensor);
extern size_t at_dim(tensor);
extern void at_shape(tensor, int64_t *);
extern int at_scalar_type(tensor);
extern int at_is_contiguous(tensor);
*/
import "C"

import (
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
)

// IsCPUFloat32 reports whether h is a defined float32 tensor on the CPU, whatever its strides.
func IsCPUFloat32(h libtch.Ctensor) bool {
	if h == nil || !libtch.AtDefined(h) {
		return false
	}
	t := C.tensor(unsafe.Pointer(h))
	return C.at_device(t) == -1 && C.at_scalar_type(t) == C.int(gotch.Float.CInt())
}

// Float32Storage returns h's elements as a slice over its storage when h is a defined,
// contiguous float32 tensor on the CPU, and ok=false for anything else (callers then take
// libtorch's eager path). The slice aliases the tensor: valid while the tensor lives, and
// writing it bypasses autograd, so it is for tensors autograd does not track (optimiser state,
// gradients under no-grad, fresh masks).
func Float32Storage(h libtch.Ctensor) (data []float32, ok bool) {
	if !IsCPUFloat32(h) {
		return nil, false
	}
	t := C.tensor(unsafe.Pointer(h))
	if C.at_is_contiguous(t) == 0 {
		return nil, false
	}
	n := int64(1)
	if dim := int(C.at_dim(t)); dim > 0 {
		shape := make([]int64, dim)
		C.at_shape(t, (*C.int64_t)(unsafe.Pointer(&shape[0])))
		for _, d := range shape {
			n *= d
		}
	}
	if n == 0 {
		return []float32{}, true
	}
	ptr := C.at_data_ptr(t)
	if ptr == nil {
		return nil, false
	}
	return unsafe.Slice((*float32)(ptr), n), true
}
