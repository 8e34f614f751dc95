package heads

import (
	"math"
	"reflect"
	"runtime"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
)

// With max_len 8 and a one-token question, a window holds 4 context tokens ([CLS] 问 [SEP]
// … [SEP]), so the 10-character context becomes windows at 0, 4 and 8.
func TestSpanWindows(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	task := lookupTask(t, "cmrc2018")
	tok := testTokenizer(t, "问", "甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸")
	ex := clue.Example{ID: "q", TextA: "问", TextB: "甲乙丙丁戊己庚辛壬癸", Label: -1, Answers: []clue.Answer{{Text: "己庚", Start: 5}}}
	data, err := span{}.Encode(tok, task, []clue.Example{ex, {ID: "t", TextA: "问", TextB: "甲乙", Label: -1}}, Options{MaxLen: 8})
	if err != nil {
		t.Fatal(err)
	}
	d := data.(*spanData)
	want := []window{
		{ex: 0, rowStart: 3, ctxStart: 0, n: 4},
		{ex: 0, rowStart: 3, ctxStart: 4, n: 4, start: 4, end: 5}, // 己庚 are context tokens 5 and 6
		{ex: 0, rowStart: 3, ctxStart: 8, n: 2},
		{ex: 1, rowStart: 3, ctxStart: 0, n: 2},
	}
	if !reflect.DeepEqual(d.windows, want) || len(d.Notes()) != 0 {
		t.Fatalf("windows %+v (notes %v), want %+v", d.windows, d.Notes(), want)
	}
	if got := d.types[1]; !reflect.DeepEqual(got, []int64{0, 0, 0, 1, 1, 1, 1, 1}) || len(d.ids[2]) != 6 {
		t.Errorf("window 1 types %v, window 2 length %d", got, len(d.ids[2]))
	}
	b, err := d.Batch([]int{1, 2}, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Drop()
	if got := b.Target.Int64Values(); !reflect.DeepEqual(got, []int64{4, 5, 0, 0}) {
		t.Errorf("targets %v", got)
	}
	if got := b.Extra.Int64Values(); !reflect.DeepEqual(got, []int64{1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0}) {
		t.Errorf("allowed positions %v", got)
	}
	// The best window wins; its span is cut from the context by character offsets.
	preds, err := d.Decode([]Guess{{{Start: 3, End: 4, Score: 1}}, {{Start: 4, End: 5, Score: 2}}, nil, {{Start: 3, End: 4, Score: -5}}})
	if err != nil {
		t.Fatal(err)
	}
	if preds[0].Answer != "己庚" || preds[1].Answer != "甲乙" {
		t.Errorf("answers %+v", preds)
	}
	if _, err := d.Decode([]Guess{{{Start: 2, End: 4}}, nil, nil, nil}); err == nil {
		t.Error("a guess starting on [SEP]: want an error")
	}
	// A question whose answer is not in its context only trains towards [CLS], and says so.
	lost, _ := span{}.Encode(tok, task, []clue.Example{{ID: "x", TextA: "问", TextB: "甲乙", Answers: []clue.Answer{{Text: "丙", Start: -1}}}}, Options{MaxLen: 8})
	if n := lost.Notes(); len(n) != 1 {
		t.Errorf("notes %v, want one about the unlocated answer", n)
	}
}

func TestBestSpan(t *testing.T) {
	m := maskedScore
	tests := []struct {
		name       string
		start, end []float64
		want       *Scored
	}{
		{"best sum", []float64{9, 1, 3, m}, []float64{9, 0, 2, m}, &Scored{Start: 2, End: 2, Score: 5}},
		{"end before start is not a span", []float64{0, 0, 5, 0}, []float64{0, 4, 0, 1}, &Scored{Start: 2, End: 3, Score: 6}},
		{"[CLS] never starts a span", []float64{100, 0, m}, []float64{100, 1, m}, &Scored{Start: 1, End: 1, Score: 1}},
		{"all masked", []float64{0, m}, []float64{0, m}, nil},
	}
	for _, tc := range tests {
		if got := bestSpan(tc.start, tc.end); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestSpanLoss checks the loss against the mean of the start and end cross-entropies over the
// allowed positions, computed here from the head's own token logits.
func TestSpanLoss(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	head, err := span{}.NewHead(vs.Root().Sub("qa_outputs"), nil, 8, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := head.(*spanHead)
	hidden, err := ts.Randn([]int64{2, 4, 8}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(hidden)
	allowed := []int64{1, 0, 1, 1, 1, 1, 1, 0}
	b := &Batch{Units: 2}
	if b.Extra, err = upload(allowed, []int64{2, 4}, gotch.CPU); err != nil {
		t.Fatal(err)
	}
	if b.Target, err = upload([]int64{2, 3, 0, 0}, []int64{2, 2}, gotch.CPU); err != nil {
		t.Fatal(err)
	}
	defer b.Drop()
	out := model.Output{Hidden: hidden}
	start, end, err := h.scores(out, b, false)
	if err != nil {
		t.Fatal(err)
	}
	sv, _ := floats(start)
	ev, _ := floats(end)
	tsx.Drop(start)
	tsx.Drop(end)
	ce := func(v []float64, mask []int64, gold int) float64 {
		sum := 0.0
		for i := range v {
			if mask[i] == 1 {
				sum += math.Exp(v[i])
			}
		}
		return math.Log(sum) - v[gold]
	}
	want := (ce(sv[0:4], allowed[0:4], 2) + ce(sv[4:8], allowed[4:8], 0) + ce(ev[0:4], allowed[0:4], 3) + ce(ev[4:8], allowed[4:8], 0)) / 4
	loss, err := h.Loss(out, b)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(loss)
	if v, _ := loss.Float64Value([]int64{}); math.Abs(v-want) > 1e-5 {
		t.Errorf("loss %.6f, want %.6f", v, want)
	}
}
