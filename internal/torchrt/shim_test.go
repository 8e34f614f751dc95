package torchrt

import "testing"

func TestThreads(t *testing.T) {
	SetNumThreads(1)
	if n := NumThreads(); n != 1 {
		t.Fatalf("threads = %d", n)
	}
}
