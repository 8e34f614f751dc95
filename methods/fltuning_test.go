//go:build cgo

package methods

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

// TestFLEqualsWidenedFFN checks that an FL branch of k units is exactly an FFN of I+k hidden
// units: W1 and b1 get the branch's rows appended, W2 its columns, and the output bias b2 + b2′.
// Layers without a branch are widened with zero units, which add nothing.
func TestFLEqualsWidenedFFN(t *testing.T) {
	cases := []struct {
		act    string
		set    []string
		layers []int // layers with a branch
	}{
		{"gelu", []string{"units=5"}, []int{0, 1}},
		{"gelu", []string{"units=3", "layers=[1]"}, []int{1}},
		{"relu", []string{"units=4"}, []int{0, 1}},
		{"gelu_new", []string{"units=4", "layers=[0]"}, []int{0}},
	}
	for _, c := range cases {
		t.Run(c.act+"/"+strings.Join(c.set, ","), func(t *testing.T) {
			lock(t)
			cfg := tinyConfig()
			cfg.HiddenAct = c.act
			m := mustMethod(t, "fl-tuning", c.set...)
			vs, enc := build(t, cfg, m, 3)
			randomize(t, vs, 0.3, func(string) bool { return true })
			k := m.Options().(FLTuningOptions).Units

			wide := cfg
			wide.IntermediateSize += k
			wvs, wenc := build(t, wide, nil, 4)
			vars, wvars := vs.Variables(), wvs.Variables()
			for name, wv := range wvars {
				ffn := strings.Contains(name, "intermediate.dense") ||
					(strings.Contains(name, ".output.dense") && !strings.Contains(name, "attention"))
				if ffn {
					continue // filled by widen
				}
				v := vars[name]
				setVar(t, &wv, &v)
			}
			for l := 0; l < int(cfg.NumHiddenLayers); l++ {
				widen(t, vars, wvars, l, k, contains(c.layers, l))
			}

			b := padded(t, sampleRows)
			got := forwardEval(t, enc, b)
			want := forwardEval(t, wenc, b)
			dh := maxDiff(t, got.Hidden, want.Hidden, maskKeep(sampleRows))
			dp := maxDiff(t, got.Pooled, want.Pooled, nil)
			t.Logf("max abs difference: hidden %.2e, pooled %.2e", dh, dp)
			if dh > 1e-5 || dp > 1e-5 {
				t.Errorf("FL branch differs from the widened FFN: hidden %.2e, pooled %.2e", dh, dp)
			}

			// Without the branch the outputs must differ, or the comparison proves nothing.
			if err := enc.SetLinearHook(model.SiteFFNOut, nil); err != nil {
				t.Fatal(err)
			}
			plain := forwardEval(t, enc, b)
			if d := maxDiff(t, plain.Hidden, want.Hidden, maskKeep(sampleRows)); d < 1e-3 {
				t.Errorf("the branch changes the output by only %.2e", d)
			}
		})
	}
}

// widen fills layer l's FFN of the wide model from the narrow model and its branch (or zeros).
func widen(t *testing.T, vars, wvars map[string]ts.Tensor, l int, k int64, branch bool) {
	t.Helper()
	enc := fmt.Sprintf("bert.encoder.layer.%d.", l)
	fl := fmt.Sprintf("fl-tuning.layer.%d.", l)
	get := func(m map[string]ts.Tensor, name string) *ts.Tensor {
		v, ok := m[name]
		if !ok {
			t.Fatalf("no variable %s", name)
		}
		return &v
	}
	extra := func(name string, dims []int64) *ts.Tensor {
		if branch {
			return get(vars, fl+name)
		}
		z, err := ts.Zeros(dims, gotch.Float, gotch.CPU)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tsx.Drop(z) })
		return z
	}
	h := shapeOf(t, get(vars, enc+"output.dense.bias"))[0]
	cat := func(dim int64, xs ...*ts.Tensor) *ts.Tensor {
		y, err := ts.Cat(xs, dim)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tsx.Drop(y) })
		return y
	}
	w1 := cat(0, get(vars, enc+"intermediate.dense.weight"), extra("intermediate.weight", []int64{k, h}))
	b1 := cat(0, get(vars, enc+"intermediate.dense.bias"), extra("intermediate.bias", []int64{k}))
	w2 := cat(1, get(vars, enc+"output.dense.weight"), extra("output.weight", []int64{h, k}))
	b2, err := get(vars, enc+"output.dense.bias").Add(extra("output.bias", []int64{h}), false)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(b2)
	setVar(t, get(wvars, enc+"intermediate.dense.weight"), w1)
	setVar(t, get(wvars, enc+"intermediate.dense.bias"), b1)
	setVar(t, get(wvars, enc+"output.dense.weight"), w2)
	setVar(t, get(wvars, enc+"output.dense.bias"), b2)
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// maskKeep keeps the real-token positions of padded(rows).
func maskKeep(rows [][]int64) func(row, pos int) bool {
	return func(row, pos int) bool { return pos < len(rows[row]) }
}

func TestFLAttach(t *testing.T) {
	lock(t)
	cfg := tinyConfig()

	// Variables, shapes and initial values.
	m := mustMethod(t, "fl-tuning", "units=7", "layers=[1]")
	vs, _ := build(t, cfg, m, 5)
	want := map[string][]int64{
		"fl-tuning.layer.1.intermediate.weight": {7, 16},
		"fl-tuning.layer.1.intermediate.bias":   {7},
		"fl-tuning.layer.1.output.weight":       {16, 7},
		"fl-tuning.layer.1.output.bias":         {16},
	}
	for name, v := range vs.Variables() {
		if strings.HasPrefix(name, "bert.") {
			if m.Trains(name) {
				t.Errorf("Trains(%s) = true", name)
			}
			continue
		}
		dims, ok := want[name]
		if !ok {
			t.Errorf("unexpected variable %s", name)
			continue
		}
		delete(want, name)
		if got := shapeOf(t, &v); fmt.Sprint(got) != fmt.Sprint(dims) {
			t.Errorf("%s has shape %v, want %v", name, got, dims)
		}
		if !m.Trains(name) {
			t.Errorf("Trains(%s) = false", name)
		}
		vals := floats(t, &v)
		nonzero := 0
		for _, x := range vals {
			if x > 0.04 || x < -0.04 {
				t.Fatalf("%s has %g, beyond TruncatedNormal(0.02)'s ±0.04", name, x)
			}
			if x != 0 {
				nonzero++
			}
		}
		isBias := strings.HasSuffix(name, ".bias")
		if isBias && nonzero != 0 || !isBias && nonzero != len(vals) {
			t.Errorf("%s: %d of %d values non-zero", name, nonzero, len(vals))
		}
	}
	for name := range want {
		t.Errorf("missing variable %s", name)
	}
	if m.Trains("fl-tuning.layer.0.output.weight") {
		t.Error("Trains answers for a variable that was not created")
	}

	// Errors.
	bad := []struct {
		set  []string
		path func(*nn.VarStore) *nn.Path
		want string
	}{
		{[]string{"layers=[2]"}, nil, "layer index 2 is out of range: the model has 2 layers"},
		{nil, func(vs *nn.VarStore) *nn.Path { return vs.Root() }, "root"},
		{nil, func(vs *nn.VarStore) *nn.Path { return vs.Root().Sub("bert").Sub("fl") }, "encoder's namespace"},
	}
	for _, c := range bad {
		m := mustMethod(t, "fl-tuning", c.set...)
		vs := nn.NewVarStore(gotch.CPU)
		enc, err := model.NewEncoder(vs.Root().Sub("bert"), cfg)
		if err != nil {
			t.Fatal(err)
		}
		p := vs.Root().Sub("fl-tuning")
		if c.path != nil {
			p = c.path(vs)
		}
		err = m.Attach(p, enc)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: Attach error %v, want one mentioning %q", c.set, err, c.want)
		}
		vs.Destroy()
	}
	// Attaching twice is refused rather than creating renamed duplicates.
	if err := m.Attach(vs.Root().Sub("fl-tuning"), enc0(t, cfg)); err == nil {
		t.Error("second Attach succeeded")
	}
}

// enc0 builds a throwaway encoder.
func enc0(t *testing.T, cfg model.Config) *model.Encoder {
	t.Helper()
	_, enc := build(t, cfg, nil, 1)
	return enc
}
