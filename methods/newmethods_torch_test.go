//go:build cgo

package methods

import (
	"testing"

	"github.com/clue-bench/clue-bench/model"
)

// TestStartsAtFrozenModel checks the methods whose init leaves the model's function unchanged
// (LoRA's B, the parallel adapter's up projection and IA3's scalings; BitFit adds nothing):
// freshly attached, their outputs equal the plain encoder's bit for bit. The Houlsby adapter
// and the soft prompts change the output from the start; their outputs must differ.
func TestStartsAtFrozenModel(t *testing.T) {
	lock(t)
	cases := []struct {
		method string
		set    []string
		same   bool
	}{
		{"lora", []string{`target_modules=["query","key","value","attention.output.dense","intermediate.dense","output.dense"]`}, true},
		{"parallel-adapter", []string{"bottleneck=5"}, true},
		{"ia3", nil, true},
		{"bitfit", nil, true},
		{"adapter", []string{"bottleneck=4"}, false},
		{"prompt-tuning", []string{"num_virtual_tokens=3"}, false},
	}
	for _, arch := range model.Architectures {
		cfg := tinyConfigFor(arch)
		_, plain := build(t, cfg, nil, 5)
		b := padded(t, sampleRows)
		want := forwardEval(t, plain, b)
		for _, c := range cases {
			_, enc := build(t, cfg, mustMethod(t, c.method, c.set...), 5)
			got := forwardEval(t, enc, b)
			d := maxDiff(t, got.Hidden, want.Hidden, nil)
			if c.same && d != 0 {
				t.Errorf("%s %s: fresh method changes the output by %.2e", arch, c.method, d)
			}
			if !c.same && d == 0 {
				t.Errorf("%s %s: fresh method leaves the output unchanged", arch, c.method)
			}
		}
	}
}
