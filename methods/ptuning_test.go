//go:build cgo

package methods

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

// copyVars copies every variable of src into the same-named variable of dst.
func copyVars(t *testing.T, dst, src *nn.VarStore) {
	t.Helper()
	sv := src.Variables()
	for name, d := range dst.Variables() {
		s, ok := sv[name]
		if !ok {
			t.Fatalf("source has no %s", name)
		}
		setVar(t, &d, &s)
	}
}

// TestPTuningPositions: shifting the real tokens' positions behind the prefix must change
// the output (same weights otherwise).
func TestPTuningPositions(t *testing.T) {
	lock(t)
	cfg := tinyConfig()
	vs, unshifted := build(t, cfg, mustMethod(t, "p-tuning-v2", "prefix_len=6"), 1)
	randomize(t, vs, 0.3, func(string) bool { return true })
	svs, shifted := build(t, cfg, mustMethod(t, "p-tuning-v2", "prefix_len=6", "positions=shifted"), 2)
	copyVars(t, svs, vs)

	b := padded(t, sampleRows)
	a, s := forwardEval(t, unshifted, b), forwardEval(t, shifted, b)
	if d := maxDiff(t, a.Hidden, s.Hidden, maskKeep(sampleRows)); d < 1e-2 {
		t.Errorf("shifted and unshifted positions differ by only %.2e", d)
	}
	// Without padding tokens to attend to, positions are all that differs: with the prefix
	// removed, both encoders are the same model.
	unshifted.SetKVPrefix(nil)
	shifted.SetKVPrefix(nil)
	a, s = forwardEval(t, unshifted, b), forwardEval(t, shifted, b)
	if d := maxDiff(t, a.Hidden, s.Hidden, nil); d != 0 {
		t.Errorf("without the prefix the two encoders differ by %.2e", d)
	}
}

// TestPTuningPaddingMask: the prefix is visible to every token and padding to none, so a padded
// batch row equals that row run alone.
func TestPTuningPaddingMask(t *testing.T) {
	for _, set := range [][]string{
		{"prefix_len=5"},
		{"prefix_len=5", "positions=shifted"},
		{"prefix_len=3", "projection=true", "projection_hidden=8"},
	} {
		t.Run(strings.Join(set, ","), func(t *testing.T) {
			lock(t)
			vs, enc := build(t, tinyConfig(), mustMethod(t, "p-tuning-v2", set...), 1)
			randomize(t, vs, 0.3, func(string) bool { return true })
			all := forwardEval(t, enc, padded(t, sampleRows))
			for r, row := range sampleRows {
				one := forwardEval(t, enc, padded(t, [][]int64{row}))
				h, err := all.Hidden.Narrow(0, int64(r), 1, false)
				if err != nil {
					t.Fatal(err)
				}
				h2, err := h.Narrow(1, 0, int64(len(row)), true)
				if err != nil {
					t.Fatal(err)
				}
				p, err := all.Pooled.Narrow(0, int64(r), 1, false)
				if err != nil {
					t.Fatal(err)
				}
				dh, dp := maxDiff(t, h2, one.Hidden, nil), maxDiff(t, p, one.Pooled, nil)
				tsx.Drop(h2)
				tsx.Drop(p)
				if dh > 1e-5 || dp > 1e-5 {
					t.Errorf("row %d (%d tokens): padded vs alone differ by %.2e (hidden), %.2e (pooled)", r, len(row), dh, dp)
				}
			}
		})
	}
}

func TestPTuningPositionLimits(t *testing.T) {
	lock(t)
	cfg := tinyConfig() // 32 positions
	for _, plen := range []int{32, 40} {
		m := mustMethod(t, "p-tuning-v2", fmt.Sprintf("prefix_len=%d", plen), "positions=shifted")
		vs := nn.NewVarStore(gotch.CPU)
		defer vs.Destroy()
		enc, err := model.NewEncoder(vs.Root().Sub("bert"), cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = m.Attach(vs.Root().Sub(m.Name()), enc)
		if err == nil || !strings.Contains(err.Error(), "max_position_embeddings is 32") {
			t.Errorf("prefix_len %d shifted: Attach error %v", plen, err)
		}
	}
	// 25 prefix positions leave 7 for tokens: the 7-token row fits, 8 do not.
	m := mustMethod(t, "p-tuning-v2", "prefix_len=25", "positions=shifted")
	_, enc := build(t, cfg, m, 1)
	if got := MaxSeqLen(m, cfg); got != 7 {
		t.Errorf("MaxSeqLen = %d, want 7", got)
	}
	forwardEval(t, enc, padded(t, sampleRows))
	var err error
	noGrad(t, func() {
		var out model.Output
		if out, err = enc.Forward(padded(t, [][]int64{{2, 5, 6, 7, 8, 9, 10, 3}}), false); err == nil {
			tsx.Drop(out.Hidden)
			tsx.Drop(out.Pooled)
		}
	})
	if err == nil || !strings.Contains(err.Error(), "max_position_embeddings") {
		t.Errorf("8 tokens behind 25 shifted prefix positions: error %v", err)
	}
	// Unshifted, the prefix takes no positions.
	m = mustMethod(t, "p-tuning-v2", "prefix_len=40")
	_, enc = build(t, cfg, m, 1)
	forwardEval(t, enc, padded(t, [][]int64{make([]int64, 32)}))
}

// TestPrefixKV checks the table layout (layer l's keys in columns [2lH, 2lH+H), values in
// [2lH+H, 2lH+2H), each position read as (heads, headDim)), the batch expansion, the prefix
// dropout in training, and that the projection's per-forward table is freed.
func TestPrefixKV(t *testing.T) {
	lock(t)
	cfg := tinyConfig()
	cfg.HiddenDropoutProb = 0.5
	m := mustMethod(t, "p-tuning-v2", "prefix_len=3").(*PTuningV2)
	_, _ = build(t, cfg, m, 1)
	pe := m.prefix.(*prefixEncoder)
	table := floats(t, pe.table) // (P, 2·L·H)
	h, nh, d, plen := cfg.HiddenSize, cfg.NumAttentionHeads, cfg.HeadDim(), pe.plen
	width := 2 * cfg.NumHiddenLayers * h
	for l := 0; l < int(cfg.NumHiddenLayers); l++ {
		k, v, err := pe.KV(l, 2, false)
		if err != nil {
			t.Fatal(err)
		}
		for which, x := range []*ts.Tensor{k, v} {
			if s := shapeOf(t, x); fmt.Sprint(s) != fmt.Sprint([]int64{2, nh, plen, d}) {
				t.Fatalf("layer %d: shape %v", l, s)
			}
			got := floats(t, x)
			for i := range got {
				// i indexes (b, head, p, j)
				j := int64(i) % d
				p := int64(i) / d % plen
				head := int64(i) / (d * plen) % nh
				col := 2*int64(l)*h + int64(which)*h + head*d + j
				if want := table[p*width+col]; got[i] != want {
					t.Fatalf("layer %d %s[%d] = %g, want table[%d, %d] = %g", l, []string{"k", "v"}[which], i, got[i], p, col, want)
				}
			}
			tsx.Drop(x)
		}
	}

	// Training: dropout 0.5 (the model's hidden_dropout_prob), drawn per example.
	k, v, err := pe.KV(0, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(k)
	defer tsx.Drop(v)
	got := floats(t, k)
	half := len(got) / 2
	zeros, same := 0, true
	for i, x := range got {
		if x == 0 {
			zeros++
		}
		if i < half && x != got[i+half] {
			same = false
		}
		if x != 0 {
			p, head, j := int64(i)/d%plen, int64(i)/(d*plen)%nh, int64(i)%d
			if want := 2 * table[p*width+head*d+j]; math.Abs(float64(x-want)) > 1e-7 {
				t.Fatalf("kept value %g, want 2×%g", x, want/2)
			}
		}
	}
	if zeros < len(got)/4 || zeros > 3*len(got)/4 {
		t.Errorf("%d of %d prefix values dropped at p=0.5", zeros, len(got))
	}
	if same {
		t.Error("both batch rows got the same dropout mask")
	}

	// Projection: the projected table lives for one forward pass only.
	pm := mustMethod(t, "p-tuning-v2", "prefix_len=3", "projection=true", "projection_hidden=8").(*PTuningV2)
	_, enc := build(t, tinyConfig(), pm, 1)
	forwardEval(t, enc, padded(t, sampleRows))
	if pm.prefix.(*prefixEncoder).cached != nil {
		t.Error("projected prefix table kept after the forward pass")
	}
}

func TestPTuningAttach(t *testing.T) {
	lock(t)
	cfg := tinyConfig() // L=2, H=16
	cases := []struct {
		set  []string
		want map[string][]int64
	}{
		{nil, map[string][]int64{"p-tuning-v2.prefix_encoder.embedding.weight": {160, 64}}},
		{[]string{"prefix_len=4", "projection=true", "projection_hidden=8"}, map[string][]int64{
			"p-tuning-v2.prefix_encoder.embedding.weight":   {4, 16},
			"p-tuning-v2.prefix_encoder.transform.0.weight": {8, 16},
			"p-tuning-v2.prefix_encoder.transform.0.bias":   {8},
			"p-tuning-v2.prefix_encoder.transform.2.weight": {64, 8},
			"p-tuning-v2.prefix_encoder.transform.2.bias":   {64},
		}},
	}
	for _, c := range cases {
		m := mustMethod(t, "p-tuning-v2", c.set...)
		vs, _ := build(t, cfg, m, 1)
		var n int64
		for name, v := range vs.Variables() {
			if strings.HasPrefix(name, "bert.") {
				if m.Trains(name) {
					t.Errorf("%v: Trains(%s) = true", c.set, name)
				}
				continue
			}
			dims, ok := c.want[name]
			if !ok {
				t.Errorf("%v: unexpected variable %s", c.set, name)
				continue
			}
			if got := shapeOf(t, &v); fmt.Sprint(got) != fmt.Sprint(dims) {
				t.Errorf("%v: %s has shape %v, want %v", c.set, name, got, dims)
			}
			if !m.Trains(name) {
				t.Errorf("%v: Trains(%s) = false", c.set, name)
			}
			n += numel(dims)
		}
		if added, _ := m.Count(cfg); added != n {
			t.Errorf("%v: Count says %d added, variables hold %d", c.set, added, n)
		}
	}
}
