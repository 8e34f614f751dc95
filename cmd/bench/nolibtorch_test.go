//go:build !cgo

package main

import (
	"bytes"
	"strings"
	"testing"
)

// Without cgo the libtorch commands are still there, and every call of one, whatever its
// arguments, fails with the reason and how to get them.
func TestLibtorchCommandsExplainThemselves(t *testing.T) {
	for _, args := range [][]string{
		{"run", "-c", "experiments.yaml"},
		{"run-cell", "--plan", "p.json", "--index", "0"},
		{"pretrain"},
		{"embed", "--model", "m", "x"},
		{"perf", "--sizes", "builtin"},
		{"run", "-h"},
	} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), "bench "+args[0]+": this bench was built without cgo") || out.Len() > 0 {
			t.Errorf("bench %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out.String(), errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "libtorch  none") {
		t.Errorf("bench version: exit %d, %q %q", code, out.String(), errb.String())
	}
}
