//go:build cgo

package model

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// refPrefix serves the reference file's prefix.keys/values, (L, B, heads, P, d), layer by layer.
type refPrefix struct {
	keys, values *ts.Tensor
	shift        bool
	calls        []string
}

func (p *refPrefix) Len() int64           { return p.keys.MustSize()[3] }
func (p *refPrefix) ShiftPositions() bool { return p.shift }
func (p *refPrefix) KV(layer int, batch int64, train bool) (*ts.Tensor, *ts.Tensor, error) {
	p.calls = append(p.calls, fmt.Sprintf("%d/%d/%v", layer, batch, train))
	k, err := p.keys.Select(0, int64(layer), false)
	if err != nil {
		return nil, nil, err
	}
	v, err := p.values.Select(0, int64(layer), false)
	return k, v, err
}

// checkPrefixParity compares prefix runs (shifted and unshifted positions) with the references.
func checkPrefixParity(t *testing.T, dir string) {
	lock(t)
	ref := readRef(t, filepath.Join(dir, "reference.safetensors"))
	enc, _, _ := loadModel(t, filepath.Join(dir, "bin"))
	b := batchFrom(ref, "pad")
	for _, shift := range []bool{true, false} {
		tag := map[bool]string{true: "pad.prefix_shift", false: "pad.prefix_noshift"}[shift]
		p := &refPrefix{keys: ref["prefix.keys"], values: ref["prefix.values"], shift: shift}
		enc.SetKVPrefix(p)
		out := forwardEval(t, enc, b)
		dh := maxDiff(t, out.Hidden, ref[tag+".hidden"], realTokens(t, b.Mask))
		dp := maxDiff(t, out.Pooled, ref[tag+".pooled"], nil)
		t.Logf("%s: max abs error hidden %.2e, pooled %.2e", tag, dh, dp)
		if dh > parityTol || dp > parityTol {
			t.Errorf("%s: max abs error hidden %.2e, pooled %.2e > %g", tag, dh, dp, parityTol)
		}
		if got := strings.Join(p.calls, " "); got != "0/3/false 1/3/false" {
			t.Errorf("KV calls %q, want one per layer with batch 3", got)
		}
	}
	// The prefix must matter: without it the output is the plain reference.
	enc.SetKVPrefix(nil)
	out := forwardEval(t, enc, b)
	if d := maxDiff(t, out.Hidden, ref["pad.prefix_shift.hidden"], realTokens(t, b.Mask)); d < 1e-2 {
		t.Errorf("prefix changed the output by only %.2e", d)
	}
}

// refBranch is the reference FFN branch: dense(H→k) → GELU → dense(k→H), per layer.
type refBranch struct {
	ref   map[string]*ts.Tensor
	calls []string
}

func (br *refBranch) Forward(layer int, x *ts.Tensor, train bool) (*ts.Tensor, error) {
	br.calls = append(br.calls, fmt.Sprintf("%d:%v", layer, x.MustSize()))
	w := func(n string) *ts.Tensor { return br.ref[fmt.Sprintf("branch.%d.%s", layer, n)] }
	h, err := ts.Linear(x, w("w1"), w("b1"))
	if err != nil {
		return nil, err
	}
	g, err := h.Gelu("none", true)
	if err != nil {
		return nil, err
	}
	defer tsx.Drop(g)
	return ts.Linear(g, w("w2"), w("b2"))
}

// checkBranchParity compares a run with an extra FFN branch per layer with the references.
func checkBranchParity(t *testing.T, dir string) {
	lock(t)
	ref := readRef(t, filepath.Join(dir, "reference.safetensors"))
	enc, _, _ := loadModel(t, filepath.Join(dir, "legacy"))
	b := batchFrom(ref, "pad")
	br := &refBranch{ref: ref}
	setBranch(t, enc, br)
	out := forwardEval(t, enc, b)
	dh := maxDiff(t, out.Hidden, ref["pad.branch.hidden"], realTokens(t, b.Mask))
	dp := maxDiff(t, out.Pooled, ref["pad.branch.pooled"], nil)
	t.Logf("branch: max abs error hidden %.2e, pooled %.2e", dh, dp)
	if dh > parityTol || dp > parityTol {
		t.Errorf("branch: max abs error hidden %.2e, pooled %.2e > %g", dh, dp, parityTol)
	}
	if got := strings.Join(br.calls, " "); got != "0:[3 8 32] 1:[3 8 32]" {
		t.Errorf("branch calls %q, want layers 0 and 1 with x (3, 8, 32)", got)
	}
}

// fixedBranch returns zeros, nil, or an error, to check the hook's exact semantics.
type fixedBranch struct {
	mode  string // "zeros", "nil", "error", "shape"
	calls int
}

func (f *fixedBranch) Forward(layer int, x *ts.Tensor, train bool) (*ts.Tensor, error) {
	f.calls++
	switch f.mode {
	case "zeros":
		return x.ZerosLike(false)
	case "shape":
		return ts.Zeros([]int64{1, 1, 1}, gotch.Float, gotch.CPU)
	case "error":
		return nil, errors.New("branch broke")
	}
	return nil, nil
}

func TestFFNBranchExact(t *testing.T) {
	lock(t)
	ref := readRef(t, filepath.Join(fixture, "reference.safetensors"))
	enc, _, _ := loadModel(t, filepath.Join(fixture, "bin"))
	b := batchFrom(ref, "pad")
	plain := forwardEval(t, enc, b)
	for _, mode := range []string{"zeros", "nil"} {
		f := &fixedBranch{mode: mode}
		setBranch(t, enc, f)
		out := forwardEval(t, enc, b)
		// Adding exact zeros (or nothing) must leave every output bit unchanged.
		if d := maxDiff(t, out.Hidden, plain.Hidden, nil) + maxDiff(t, out.Pooled, plain.Pooled, nil); d != 0 {
			t.Errorf("%s branch changed the output by %g", mode, d)
		}
		if f.calls != 2 {
			t.Errorf("%s branch called %d times, want once per layer", mode, f.calls)
		}
	}
	for mode, want := range map[string]string{"error": "layer 0: feed-forward: output.dense hook: branch broke", "shape": "output.dense hook output has shape [1 1 1], want [3 8 32]"} {
		if mode == "shape" {
			// The hook's own result has the wrong shape (a branch's would broadcast in the sum).
			if err := enc.SetLinearHook(SiteFFNOut, wrongShape{}); err != nil {
				t.Fatal(err)
			}
		} else {
			setBranch(t, enc, &fixedBranch{mode: mode})
		}
		if _, err := enc.Forward(b, false); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s branch: error %v, want %q", mode, err, want)
		}
	}
}

// badPrefix returns tensors of the wrong shape, or a length that overruns the positions.
type badPrefix struct{ n int64 }

func (p badPrefix) Len() int64           { return p.n }
func (p badPrefix) ShiftPositions() bool { return true }
func (p badPrefix) KV(layer int, batch int64, train bool) (*ts.Tensor, *ts.Tensor, error) {
	k, err := ts.Zeros([]int64{batch, 4, p.n, 7}, gotch.Float, gotch.CPU)
	if err != nil {
		return nil, nil, err
	}
	v, err := ts.Zeros([]int64{batch, 4, p.n, 8}, gotch.Float, gotch.CPU)
	return k, v, err
}

func TestPrefixErrors(t *testing.T) {
	lock(t)
	ref := readRef(t, filepath.Join(fixture, "reference.safetensors"))
	enc, _, _ := loadModel(t, filepath.Join(fixture, "bin"))
	b := batchFrom(ref, "pad")
	enc.SetKVPrefix(badPrefix{n: 2})
	if _, err := enc.Forward(b, false); err == nil || !strings.Contains(err.Error(), "prefix keys have shape [3 4 2 7], want [3 4 2 8]") {
		t.Errorf("wrong-shape prefix: %v", err)
	}
	enc.SetKVPrefix(badPrefix{n: 33}) // 33 + 8 positions > max_position_embeddings 40
	if _, err := enc.Forward(b, false); err == nil || !strings.Contains(err.Error(), "max_position_embeddings") {
		t.Errorf("overlong prefix: %v", err)
	}
}

// ffnBranch is a branch parallel to the whole FFN: it maps the FFN input to a term added to
// the FFN output.
type ffnBranch interface {
	Forward(layer int, x *ts.Tensor, train bool) (*ts.Tensor, error)
}

// branchHook hooks an ffnBranch in at the FFN output map, reading the block input.
type branchHook struct{ br ffnBranch }

func (h branchHook) Linear(c *LinearCall) (*ts.Tensor, error) {
	x, err := c.BlockInput()
	if err != nil {
		return nil, err
	}
	extra, err := h.br.Forward(c.Layer, x, c.Train)
	if err != nil || extra == nil {
		return nil, err
	}
	defer tsx.Drop(extra)
	y, err := c.Output()
	if err != nil {
		return nil, err
	}
	return y.Add(extra, false)
}

// setBranch installs br on enc's FFN output map.
func setBranch(t *testing.T, enc *Encoder, br ffnBranch) {
	t.Helper()
	if err := enc.SetLinearHook(SiteFFNOut, branchHook{br}); err != nil {
		t.Fatal(err)
	}
}

// wrongShape is a linear hook whose result has the wrong shape.
type wrongShape struct{}

func (wrongShape) Linear(*LinearCall) (*ts.Tensor, error) {
	return ts.Zeros([]int64{1, 1, 1}, gotch.Float, gotch.CPU)
}

// onesScale scales the FFN activation by ones, or fails.
type onesScale struct{ fail bool }

func (o onesScale) Scale(layer int) (*ts.Tensor, error) {
	if o.fail {
		return nil, errors.New("no scale")
	}
	return onesVec, nil
}

var onesVec = ts.MustOnes([]int64{64}, gotch.Float, gotch.CPU)

// sublayerHook returns nil, a wrong shape, or an error.
type sublayerHook struct{ mode string }

func (h sublayerHook) Sublayer(layer int, b Block, out *ts.Tensor, train bool) (*ts.Tensor, error) {
	switch h.mode {
	case "shape":
		return ts.Zeros([]int64{2, 2}, gotch.Float, gotch.CPU)
	case "error":
		return nil, errors.New("adapter broke")
	}
	return nil, nil
}

// embPrefix supplies n zero vectors of width w.
type embPrefix struct{ n, w int64 }

func (p embPrefix) Len() int64 { return p.n }
func (p embPrefix) Embeddings(batch int64, train bool) (*ts.Tensor, error) {
	return ts.Zeros([]int64{batch, p.n, p.w}, gotch.Float, gotch.CPU)
}

// TestHookPoints checks the attachment points a plain encoder does not exercise: a hook that
// changes nothing leaves every output bit alone, and a failing or misshapen hook is an error
// naming the point.
func TestHookPoints(t *testing.T) {
	lock(t)
	ref := readRef(t, filepath.Join(fixture, "reference.safetensors"))
	enc, _, _ := loadModel(t, filepath.Join(fixture, "bin"))
	b := batchFrom(ref, "pad")
	plain := forwardEval(t, enc, b)
	if enc.Cfg.IntermediateSize != 64 {
		t.Fatalf("fixture intermediate_size %d, want 64", enc.Cfg.IntermediateSize)
	}
	same := []struct {
		name       string
		set, unset func()
	}{
		{"activation scale of ones", func() { enc.SetFFNActivationScale(onesScale{}) }, func() { enc.SetFFNActivationScale(nil) }},
		{"sublayer hook returning nil", func() { enc.SetSublayerHook(sublayerHook{}) }, func() { enc.SetSublayerHook(nil) }},
		{"empty embedding prefix", func() { enc.SetEmbeddingPrefix(embPrefix{}) }, func() { enc.SetEmbeddingPrefix(nil) }},
	}
	for _, c := range same {
		c.set()
		out := forwardEval(t, enc, b)
		if d := maxDiff(t, out.Hidden, plain.Hidden, nil) + maxDiff(t, out.Pooled, plain.Pooled, nil); d != 0 {
			t.Errorf("%s changed the output by %g", c.name, d)
		}
		c.unset()
	}
	h := enc.Cfg.HiddenSize
	bad := []struct {
		name       string
		set, unset func()
		want       string
	}{
		{"failing scale", func() { enc.SetFFNActivationScale(onesScale{fail: true}) }, func() { enc.SetFFNActivationScale(nil) }, "layer 0: feed-forward: activation scale: no scale"},
		{"misshapen sublayer", func() { enc.SetSublayerHook(sublayerHook{mode: "shape"}) }, func() { enc.SetSublayerHook(nil) }, "sublayer hook output has shape [2 2], want [3 8 32]"},
		{"failing sublayer", func() { enc.SetSublayerHook(sublayerHook{mode: "error"}) }, func() { enc.SetSublayerHook(nil) }, "layer 0: attention: sublayer hook: adapter broke"},
		{"misshapen prefix", func() { enc.SetEmbeddingPrefix(embPrefix{n: 2, w: h + 1}) }, func() { enc.SetEmbeddingPrefix(nil) }, "embedding prefix has shape [3 2 33], want [3 2 32]"},
		{"overlong prefix", func() { enc.SetEmbeddingPrefix(embPrefix{n: 33, w: h}) }, func() { enc.SetEmbeddingPrefix(nil) }, "max_position_embeddings"},
	}
	for _, c := range bad {
		c.set()
		if _, err := enc.Forward(b, false); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		c.unset()
	}
	if err := enc.SetLinearHook(Site(9), nil); err == nil {
		t.Error("SetLinearHook accepted site 9")
	}
	for _, s := range Sites {
		if strings.HasPrefix(s.String(), "Site(") {
			t.Errorf("site %d has no name", int(s))
		}
	}
}
