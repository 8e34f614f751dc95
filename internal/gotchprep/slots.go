package gotchprep

import (
	"fmt"
	"os"
	"strings"
)

// TensorMethodsName is gotch's file of generated Tensor methods, in ts.
const TensorMethodsName = "tensor-generated.go"

// returnSlot is the line with which a generated Tensor method that returns one tensor makes
// the C block libtorch writes the result's handle into.
const returnSlot = "ptr := (*lib.Ctensor)(unsafe.Pointer(C.malloc(0)))"

// FreeReturnSlots makes every generated Tensor method that returns one tensor free its
// result's C block when it returns, and says how many it changed.
//
// Why: gotch allocates the block with malloc(0) on every call and never frees it, 32 bytes of
// C heap per call of Matmul, Add, View, Select and the rest: thousands per training step, an
// RSS that grows by megabytes over a long cell. The method reads the handle out of the block
// (newTensor(*ptr, …)) before it returns, so a deferred free is safe; libtorch writes one
// pointer, which malloc(0)'s smallest chunk holds. Methods that return several tensors
// (ctensorPtr0, ctensorPtr1, …) stay as they are: libtorch writes one handle per result into a
// malloc(0) block, more than the block holds past three results, and freeing a block whose
// neighbour that overwrote could abort where the leak goes unnoticed. Few of those are called
// per step. An error means the file no longer looks the way this patch expects.
func FreeReturnSlots(src string) (string, int, error) {
	var b strings.Builder
	n := 0
	for line := range strings.Lines(src) {
		b.WriteString(line)
		if strings.TrimSpace(line) == returnSlot {
			indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
			b.WriteString(indent + "defer C.free(unsafe.Pointer(ptr))\n")
			n++
		}
	}
	if n == 0 {
		return "", 0, fmt.Errorf("%s: no method makes its result's block with %q", TensorMethodsName, returnSlot)
	}
	return b.String(), n, nil
}

// freeReturnSlotsIn applies FreeReturnSlots to the file at path.
func freeReturnSlotsIn(path string) (int, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("free return slots: %w", err)
	}
	patched, n, err := FreeReturnSlots(string(src))
	if err != nil {
		return 0, fmt.Errorf("patch %s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(patched), 0o644); err != nil {
		return 0, fmt.Errorf("patch %s: %w", path, err)
	}
	return n, nil
}
