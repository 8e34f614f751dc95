package gotchprep

import (
	"strings"
	"testing"
)

const methodsSample = `package ts

// #include "stdlib.h"
import "C"

func(ts *Tensor) Matmul(other *Tensor, del bool)(retVal *Tensor, err error) { 
  if del { defer ts.MustDrop() }
  ptr := (*lib.Ctensor)(unsafe.Pointer(C.malloc(0)))
  
    lib.AtgMatmul(ptr, ts.ctensor, other.ctensor)
  retVal = newTensor(*ptr, "Matmul")
  return retVal, err
} 

func(ts *Tensor) Sort(dim int64, descending bool, del bool)(retVal0 *Tensor, retVal1 *Tensor, err error) { 
  ctensorPtr0 := (*lib.Ctensor)(unsafe.Pointer(C.malloc(0)))
  ctensorPtr1 := (*lib.Ctensor)(unsafe.Pointer(uintptr(unsafe.Pointer(ctensorPtr0)) + unsafe.Sizeof(ctensorPtr0)))
  return retVal0, retVal1, err
} 
`

// TestFreeReturnSlots: a one-result method frees its block, at the indentation of the line
// that made it; a several-result method is left alone; a file without the pattern is an error.
func TestFreeReturnSlots(t *testing.T) {
	got, n, err := FreeReturnSlots(methodsSample)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(methodsSample, "  ptr := (*lib.Ctensor)(unsafe.Pointer(C.malloc(0)))\n",
		"  ptr := (*lib.Ctensor)(unsafe.Pointer(C.malloc(0)))\n  defer C.free(unsafe.Pointer(ptr))\n", 1)
	if n != 1 || got != want {
		t.Errorf("%d patched:\n%s\nwant 1:\n%s", n, got, want)
	}
	if _, _, err := FreeReturnSlots(strings.ReplaceAll(methodsSample, "ptr := ", "p := ")); err == nil {
		t.Error("a file without the pattern was accepted")
	}
}
