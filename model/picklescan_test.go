//go:build cgo

package model

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanPickleAcceptsValid runs the scanner over well-formed pickles: hand-written ones of
// protocol 0 (text opcodes), and, where Python is there, what pickle.dumps writes at every
// protocol, with bytes after STOP that the scanner must not count.
func TestScanPickleAcceptsValid(t *testing.T) {
	pickles := map[string]string{
		"list with memo":  "(lp0\nI1\naI2\nag0\na.",
		"dict":            "(dp0\nS'a'\np1\nF1.5\nsVb\np2\nL7L\ns.",
		"global and inst": "(i__main__\nC\np0\n(dp1\nb.",
		"pop and mark":    "I1\n(I2\n1I3\n0.",
	}
	if _, err := exec.LookPath(refPython); err == nil {
		dir := t.TempDir()
		script := `
import collections, pickle, sys
obj = collections.OrderedDict(a=1, b=[1.5, "x", b"yy", None, True, (1, 2, 3), {"k": frozenset([1])},
      {2}, 2**100, -2**70, bytearray(b"z"), "é" * 300, list(range(300))])
for p in range(6):
    open("%s/p%d.pkl" % (sys.argv[1], p), "wb").write(pickle.dumps(obj, protocol=p))
`
		if out, err := exec.Command(refPython, "-c", script, dir).CombinedOutput(); err != nil {
			t.Fatalf("python: %v\n%s", err, out)
		}
		for p := 0; p < 6; p++ {
			b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("p%d.pkl", p)))
			if err != nil {
				t.Fatal(err)
			}
			pickles[fmt.Sprintf("python protocol %d", p)] = string(b)
		}
	} else {
		t.Logf("no %s: Python's pickles not checked", refPython)
	}
	for name, pkl := range pickles {
		data := pkl + "trailing bytes"
		n, err := scanPickle(strings.NewReader(data), int64(len(data)), 0)
		if err != nil || n != int64(len(pkl)) {
			t.Errorf("%s: scanned %d of %d bytes, err %v", name, n, len(pkl), err)
		}
	}
}

// TestReadTorchStateDictProtocols reads state dicts that torch.save wrote with pickle protocol
// 4 (frames, MEMOIZE, STACK_GLOBAL) in both formats.
func TestReadTorchStateDictProtocols(t *testing.T) {
	lock(t)
	if testing.Short() {
		t.Skip("needs python3 with torch; skipped in -short mode")
	}
	if err := exec.Command(refPython, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s cannot import torch (%v)", refPython, err)
	}
	dir := t.TempDir()
	script := `
import collections, sys, torch
sd = collections.OrderedDict()
sd["a.weight"] = torch.arange(12, dtype=torch.float32).reshape(3, 4)
sd["b.bias"] = torch.arange(5, dtype=torch.int64)
sd["c.t"] = sd["a.weight"].t()  # a view of a shared storage
for zip_format in (True, False):
    torch.save(sd, "%s/p4_%s.bin" % (sys.argv[1], "zip" if zip_format else "legacy"),
               pickle_protocol=4, _use_new_zipfile_serialization=zip_format)
`
	if out, err := exec.Command(refPython, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	for _, f := range []string{"p4_zip.bin", "p4_legacy.bin"} {
		m, err := ReadTorchStateDict(filepath.Join(dir, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		got := fmt.Sprint(floats(t, m["a.weight"]), ints(t, m["b.bias"]), floats(t, m["c.t"]))
		want := "[0 1 2 3 4 5 6 7 8 9 10 11] [0 1 2 3 4] [0 4 8 1 5 9 2 6 10 3 7 11]"
		if got != want {
			t.Errorf("%s: %s, want %s", f, got, want)
		}
		dropMap(m)
	}
}
