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

func TestChoiceEncodeBatchDecode(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	task := lookupTask(t, "c3")
	tok := testTokenizer(t, "甲", "乙", "丙", "丁")
	exs := []clue.Example{
		{ID: "a", Label: 1, Choices: [][2]string{{"甲乙", "丙"}, {"甲乙", "丁丁"}}},
		{ID: "b", Label: -1, Choices: [][2]string{{"甲", "丙"}, {"甲", "丁"}, {"甲", "乙"}, {"甲", "甲"}}},
	}
	data, err := choice{}.Encode(tok, task, exs, Options{MaxLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	d := data.(*choiceData)
	if d.Len() != 2 || len(d.ids) != 8 || !reflect.DeepEqual(d.ids[2], d.ids[0]) || !reflect.DeepEqual(d.ids[3], d.ids[0]) {
		t.Fatalf("rows %v: want 4 per question, padding copies the first", d.ids)
	}
	b, err := d.Batch([]int{1, 0}, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Drop()
	if got := b.In.InputIDs.MustSize(); !reflect.DeepEqual(got, []int64{8, 7}) {
		t.Errorf("rows shape %v, want [8 7]", got)
	}
	if got := b.Extra.Int64Values(); !reflect.DeepEqual(got, []int64{1, 1, 1, 1, 1, 1, 0, 0}) {
		t.Errorf("real-candidate mask %v", got)
	}
	if got := b.Target.Int64Values(); !reflect.DeepEqual(got, []int64{0, 1}) {
		t.Errorf("targets %v, want [0 1] (the unlabelled one as 0)", got)
	}
	// A padded slot scoring highest must not win.
	preds, err := d.Decode([]Guess{
		{{0, 0, 0, 1}, {1, 0, 0, 2}, {2, 0, 0, 9}, {3, 0, 0, 9}},
		{{0, 0, 0, 1}, {1, 0, 0, 0}, {2, 0, 0, 3}, {3, 0, 0, 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if preds[0].Label != 1 || preds[1].Label != 2 {
		t.Errorf("predictions %+v, want 1 and 2", preds)
	}
	if _, err := (choice{}).Encode(tok, task, []clue.Example{{ID: "c", Choices: make([][2]string, 5)}}, Options{}); err == nil {
		t.Error("five choices for four slots: want an error")
	}
}

// TestChoiceLoss checks the masked scores and the loss against a softmax over the real
// candidates computed here from the head's own row logits.
func TestChoiceLoss(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	task := lookupTask(t, "c3")
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	head, err := choice{}.NewHead(vs.Root().Sub("choice"), task, 8, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := head.(*choiceHead)
	hidden, err := ts.Randn([]int64{8, 3, 8}, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(hidden)
	out := model.Output{Hidden: hidden}
	b := &Batch{Units: 2}
	if b.Extra, err = upload([]int64{1, 1, 1, 1, 1, 1, 0, 0}, []int64{2, 4}, gotch.CPU); err != nil {
		t.Fatal(err)
	}
	if b.Target, err = upload([]int64{3, 1}, []int64{2}, gotch.CPU); err != nil {
		t.Fatal(err)
	}
	defer b.Drop()
	rows, err := h.c.Forward(out, false)
	if err != nil {
		t.Fatal(err)
	}
	raw := rows.Float64Values()
	tsx.Drop(rows)
	sc, err := h.scores(out, b, false)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := floats(sc)
	tsx.Drop(sc)
	for i, v := range got {
		if masked := i >= 6; masked != (v < maskedScore/2) || (!masked && math.Abs(v-raw[i]) > 1e-6) {
			t.Errorf("slot %d: score %g (row logit %g)", i, v, raw[i])
		}
	}
	ce := func(logits []float64, gold int) float64 {
		sum := 0.0
		for _, l := range logits {
			sum += math.Exp(l)
		}
		return math.Log(sum) - logits[gold]
	}
	want := (ce(raw[0:4], 3) + ce(raw[4:6], 1)) / 2
	loss, err := h.Loss(out, b)
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(loss)
	if v, _ := loss.Float64Value([]int64{}); math.Abs(v-want) > 1e-5 {
		t.Errorf("loss %.6f, want %.6f", v, want)
	}
}

// A cloze row keeps the gap: [CLS] idiom [SEP] left [unused1] right [SEP], cut from the far
// end of the longer side.
func TestEncodeChoiceCloze(t *testing.T) {
	tok := testTokenizer(t, "[unused1]", "甲", "乙", "丙", "丁", "戊", "己")
	id := func(s string) int64 { v, _ := tok.Vocab().ID(s); return v }
	cls, sep, mark, mask := tok.CLS(), tok.SEP(), id("[unused1]"), tok.MASK()
	tests := []struct {
		name   string
		maxLen int
		text   string
		want   []int64
	}{
		{"fits", 0, "乙丙" + clue.ClozeMark + "丁", []int64{cls, id("甲"), sep, id("乙"), id("丙"), mark, id("丁"), sep}},
		{"left side cut first", 8, "乙丙丁戊" + clue.ClozeMark + "己", []int64{cls, id("甲"), sep, id("丁"), id("戊"), mark, id("己"), sep}},
		{"then alternately", 7, "乙丙" + clue.ClozeMark + "丁戊", []int64{cls, id("甲"), sep, id("丙"), mark, id("丁"), sep}},
		{"other blanks stay [MASK]", 0, "[MASK]" + clue.ClozeMark, []int64{cls, id("甲"), sep, mask, mark, sep}},
	}
	for _, tc := range tests {
		e := encodeChoice(tok, "甲", tc.text, tc.maxLen)
		if !reflect.DeepEqual(e.IDs, tc.want) || len(e.TypeIDs) != len(e.IDs) || e.TypeIDs[2] != 0 || e.TypeIDs[3] != 1 {
			t.Errorf("%s: ids %v types %v, want ids %v", tc.name, e.IDs, e.TypeIDs, tc.want)
		}
	}
	// Without [unused1] in the vocabulary the gap is a [MASK].
	plain := testTokenizer(t, "甲")
	if e := encodeChoice(plain, "甲", clue.ClozeMark, 0); len(e.IDs) != 5 || e.IDs[3] != plain.MASK() {
		t.Errorf("ids %v, want the gap as [MASK]", e.IDs)
	}
}
