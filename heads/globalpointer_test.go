package heads

import (
	"math"
	"runtime"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

// gpFixture is a GlobalPointer over random hidden states of B sentences of T tokens, where
// the first and last token of each row are special and row 1 has two padding tokens.
type gpFixture struct {
	head  *GlobalPointer
	out   model.Output
	batch *Batch
	vs    *nn.VarStore
}

func newGPFixture(t *testing.T, hidden *ts.Tensor, gold []int64) *gpFixture {
	t.Helper()
	size := hidden.MustSize()
	B, T := size[0], size[1]
	vs := nn.NewVarStore(gotch.CPU)
	g, err := NewGlobalPointer(vs.Root().Sub("global_pointer"), size[2], 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	mask := make([]int64, B*T)
	for b := int64(0); b < B; b++ {
		last := T - 1
		if b == 1 {
			last = T - 3
		}
		for i := int64(1); i < last; i++ {
			mask[b*T+i] = 1
		}
	}
	f := &gpFixture{head: g, out: model.Output{Hidden: hidden}, vs: vs, batch: &Batch{Units: int(B)}}
	if f.batch.Extra, err = upload(mask, []int64{B, T}, gotch.CPU); err != nil {
		t.Fatal(err)
	}
	if len(gold) > 0 {
		if f.batch.Target, err = upload(gold, []int64{int64(len(gold))}, gotch.CPU); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { f.batch.Drop(); tsx.Drop(hidden); vs.Destroy() })
	return f
}

func TestGlobalPointerScores(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const B, T, H = 2, 7, 8
	// The same hidden vector at every position: with rotary encoding, a cell's score then
	// depends on end − start only, and not on it being zero.
	one, err := ts.Randn([]int64{1, 1, H}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := one.Expand([]int64{B, T, H}, false, true)
	if err != nil {
		t.Fatal(err)
	}
	f := newGPFixture(t, hidden, nil)
	sc, err := f.head.scores(f.out, f.batch, false)
	if err != nil {
		t.Fatal(err)
	}
	v := sc.Float64Values()
	tsx.Drop(sc)
	at := func(b, e, i, j int) float64 { return v[((b*10+e)*T+i)*T+j] }
	lastText := []int{T - 2, T - 4}
	for b := 0; b < B; b++ {
		for e := 0; e < 10; e++ {
			for i := 0; i < T; i++ {
				for j := 0; j < T; j++ {
					valid := i >= 1 && j <= lastText[b] && i <= j
					if s := at(b, e, i, j); valid != (s > -1e6) {
						t.Fatalf("row %d type %d cell (%d, %d) = %g; valid %v", b, e, i, j, s, valid)
					}
					if valid && j+1 <= lastText[b] && math.Abs(at(b, e, i, j)-at(b, e, i+1, j+1)) > 1e-4 {
						t.Errorf("cell (%d, %d) = %g but (%d, %d) = %g: not relative", i, j, at(b, e, i, j), i+1, j+1, at(b, e, i+1, j+1))
					}
				}
			}
		}
	}
	if math.Abs(at(0, 0, 1, 1)-at(0, 0, 1, 3)) < 1e-7 {
		t.Errorf("scores at distance 0 and 2 are equal (%g): no position information", at(0, 0, 1, 1))
	}
}

// TestGlobalPointerLossAndPredict checks the loss against the formula computed here from the
// head's own scores, and that Predict returns exactly the cells scoring above 0.
func TestGlobalPointerLossAndPredict(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const B, T, H = 2, 6, 8
	hidden, err := ts.Randn([]int64{B, T, H}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	cellIndex := func(b, e, i, j int64) int64 { return ((b*10+e)*T+i)*T + j }
	gold := []int64{cellIndex(0, 2, 1, 2), cellIndex(0, 6, 3, 3), cellIndex(1, 6, 1, 2)}
	f := newGPFixture(t, hidden, gold)
	// Scale the weights up so that some cells score above 0.
	if err := tsx.NoGrad(func() error { return tsx.MulScalar(f.head.W, 100) }); err != nil {
		t.Fatal(err)
	}
	sc, err := f.head.scores(f.out, f.batch, false)
	if err != nil {
		t.Fatal(err)
	}
	v := sc.Float64Values()
	tsx.Drop(sc)
	isGold := map[int64]bool{}
	for _, c := range gold {
		isGold[c] = true
	}
	want := 0.0
	var positive []int64
	for grid := int64(0); grid < B*10; grid++ {
		neg, pos := 1.0, 1.0
		for c := grid * T * T; c < (grid+1)*T*T; c++ {
			if isGold[c] {
				pos += math.Exp(-v[c])
			} else {
				neg += math.Exp(v[c])
			}
			if v[c] > 0 {
				positive = append(positive, c)
			}
		}
		want += (math.Log(neg) + math.Log(pos)) / (B * 10)
	}
	loss, err := f.head.Loss(f.out, f.batch)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loss.Float64Value([]int64{})
	tsx.Drop(loss)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
		t.Errorf("loss %.6f, want %.6f", got, want)
	}

	gs, err := f.head.Predict(f.out, f.batch)
	if err != nil {
		t.Fatal(err)
	}
	var predicted []int64
	for b, g := range gs {
		for _, s := range g {
			c := cellIndex(int64(b), int64(s.Label), int64(s.Start), int64(s.End))
			predicted = append(predicted, c)
			if math.Abs(s.Score-v[c]) > 1e-4 {
				t.Errorf("cell %d: score %g, want %g", c, s.Score, v[c])
			}
		}
	}
	if len(positive) == 0 || len(positive) != len(predicted) {
		t.Fatalf("%d cells score above 0, %d predicted", len(positive), len(predicted))
	}
	for i := range positive {
		if positive[i] != predicted[i] {
			t.Errorf("predicted cell %d, want %d", predicted[i], positive[i])
		}
	}
}

// With zero weights every cell scores 0, so nothing is predicted: Predict must cope with an
// empty selection (gotch cannot copy one out).
func TestGlobalPointerPredictsNothing(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	hidden, err := ts.Randn([]int64{2, 5, 8}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	f := newGPFixture(t, hidden, nil)
	if err := tsx.NoGrad(func() error { return tsx.Zero(f.head.W) }); err != nil {
		t.Fatal(err)
	}
	gs, err := f.head.Predict(f.out, f.batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || len(gs[0])+len(gs[1]) != 0 {
		t.Errorf("guesses %v, want two empty ones", gs)
	}
}
