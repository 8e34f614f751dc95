package tsx_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tensortest"
	"github.com/clue-bench/clue-bench/internal/tsx"
)

// traceMarks are what must never reach a user: parts of libtorch's C++ backtrace and of the
// Go stack dump gotch appends.
var traceMarks = []string{"Exception raised from", "frame #", "goroutine ", "runtime/debug.Stack", ".cpp:"}

func checkTrimmed(t *testing.T, what, msg string, keep ...string) {
	t.Helper()
	for _, m := range traceMarks {
		if strings.Contains(msg, m) {
			t.Errorf("%s: %q survived in %q", what, m, msg)
		}
	}
	for _, k := range keep {
		if !strings.Contains(msg, k) {
			t.Errorf("%s: %q lost from %q", what, k, msg)
		}
	}
}

// A real libtorch failure: an embedding lookup past the table's end, as a vocabulary larger
// than the model's gives.
func libtorchError(t *testing.T) error {
	t.Helper()
	w, err := ts.Zeros([]int64{4, 2}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(w)
	ids, err := ts.OfSlice([]int64{0, 7})
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(ids)
	out, err := ts.Embedding(w, ids, -1, false, false)
	if err == nil {
		tsx.Drop(out)
		t.Fatal("lookup of id 7 in a 4-row table succeeded")
	}
	for _, m := range []string{"Exception raised from", "frame #", "goroutine "} {
		if !strings.Contains(err.Error(), m) {
			t.Fatalf("libtorch's error no longer carries %q; the test needs a new sample:\n%v", m, err)
		}
	}
	return err
}

func TestTrim(t *testing.T) {
	tensortest.Lock(t)
	real := libtorchError(t)
	sentinel := errors.New("sentinel")
	cases := []struct {
		name string
		err  error
		keep []string
	}{
		{"bare", real, []string{"Libtorch API Error: index out of range in self"}},
		{"wrapped", fmt.Errorf("step 3: forward: embeddings: %w", real), []string{"step 3: forward: embeddings: Embedding() failed", "index out of range in self"}},
		{"suffixed", fmt.Errorf("%w (while loading X)", real), []string{"index out of range in self", "(while loading X)"}},
		{"joined", errors.Join(real, sentinel), []string{"index out of range in self", "sentinel"}},
		{"go panic dump", errors.New("recovered: boom\ngoroutine 12 [running]:\nmain.f()\n\t/x/y.go:3 +0x1\n\nafter"), []string{"recovered: boom", "after"}},
		{"multi-line kept", errors.New("checkpoint does not fit the model (2 problems):\n  missing a\n  missing b"), []string{"\n  missing a\n  missing b"}},
		{"cuda text", errors.New("CUDA error: device-side assert triggered\nCUDA kernel errors might be asynchronously reported\nException raised from c10_cuda_check at x.cpp:1 (most recent call first):\nframe #0: c10::Error()\n"), []string{"device-side assert triggered", "asynchronously reported"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkTrimmed(t, "Trim", tsx.Trim(c.err.Error()), c.keep...)
		})
	}
	checkTrimmed(t, "Err", tsx.Err(real).Error(), "index out of range in self")
	if tsx.Err(nil) != nil {
		t.Error("nil error did not stay nil")
	}
	// A message that merely mentions goroutines is not a stack dump.
	if got := tsx.Trim("2 goroutine leaks: [a]:"); got != "2 goroutine leaks: [a]:" {
		t.Errorf("Trim changed an ordinary line: %q", got)
	}
}
