package heads

import (
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/sugarme/gotch"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/tokenizer"
)

func testTokenizer(t *testing.T, extra ...string) *tokenizer.Tokenizer {
	t.Helper()
	v, err := tokenizer.NewVocab(append([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}, extra...))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.New(v, tokenizer.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func cluener(t *testing.T) *clue.Task { return lookupTask(t, "cluener") }

// The text "刘洋在 abcd南湖" tokenises to [CLS] 刘 洋 在 ab ##cd 南 湖 [SEP]: characters 0-2 are
// tokens 1-3, the space has no token, "abcd" (characters 4-7) is two word pieces.
func TestNEREncodeDecode(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	task := cluener(t)
	tok := testTokenizer(t, "刘", "洋", "在", "南", "湖", "ab", "##cd")
	typ := func(name string) int { return task.LabelIndex(name) }
	text := "刘洋在 abcd南湖"
	gold := []clue.Entity{
		{Type: typ("name"), Start: 0, End: 1, Text: "刘洋"},
		{Type: typ("company"), Start: 4, End: 7, Text: "abcd"},
		{Type: typ("company"), Start: 5, End: 6, Text: "bc"}, // inside word pieces: not a target
		{Type: typ("scene"), Start: 8, End: 9, Text: "南湖"},
	}
	tests := []struct {
		name   string
		maxLen int
		cells  []cell
		lost   int
	}{
		{"whole sentence", 0, []cell{{typ("name"), 1, 2}, {typ("company"), 4, 5}, {typ("scene"), 6, 7}}, 1},
		{"cut by max_len", 5, []cell{{typ("name"), 1, 2}}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := ner{}.Encode(tok, task, []clue.Example{{ID: "0", TextA: text, Label: -1, Entities: gold}}, Options{MaxLen: tc.maxLen})
			if err != nil {
				t.Fatal(err)
			}
			d := data.(*nerData)
			if !reflect.DeepEqual(d.gold[0], tc.cells) || d.lost != tc.lost {
				t.Errorf("cells %v (lost %d), want %v (lost %d)", d.gold[0], d.lost, tc.cells, tc.lost)
			}
			if notes := d.Notes(); len(notes) != 1 || !strings.Contains(notes[0], "of 4 gold entities") {
				t.Errorf("notes = %v", notes)
			}
			// Decoding the gold cells gives back the entities they came from.
			var g Guess
			for _, c := range tc.cells {
				g = append(g, Scored{Label: c.typ, Start: c.start, End: c.end})
			}
			preds, err := d.Decode([]Guess{g})
			if err != nil {
				t.Fatal(err)
			}
			var want []clue.Entity
			for _, e := range gold {
				for _, c := range tc.cells {
					if e.Type == c.typ && d.offsets[0][c.start][0] == e.Start && d.offsets[0][c.end][1] == e.End+1 {
						want = append(want, e)
					}
				}
			}
			if !reflect.DeepEqual(preds[0].Entities, want) || preds[0].Label != -1 {
				t.Errorf("decoded %+v, want %+v", preds[0], want)
			}
			b, err := d.Batch([]int{0}, gotch.CPU)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Drop()
			T := int64(len(d.ids[0]))
			wantMask := make([]int64, T)
			for i := int64(1); i < T-1; i++ {
				wantMask[i] = 1
			}
			var wantFlat []int64
			for _, c := range tc.cells {
				wantFlat = append(wantFlat, (int64(c.typ)*T+int64(c.start))*T+int64(c.end))
			}
			if got := b.Extra.Int64Values(); !reflect.DeepEqual(got, wantMask) {
				t.Errorf("text-token mask %v, want %v", got, wantMask)
			}
			if got := b.Target.Int64Values(); !reflect.DeepEqual(got, wantFlat) {
				t.Errorf("gold cells %v, want %v", got, wantFlat)
			}
		})
	}
}

func TestNERDecodeRejects(t *testing.T) {
	task := cluener(t)
	tok := testTokenizer(t, "刘", "洋")
	data, err := ner{}.Encode(tok, task, []clue.Example{{ID: "0", TextA: "刘洋", Label: -1}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []Scored{
		{Label: 0, Start: 0, End: 1},  // starts on [CLS]
		{Label: 0, Start: 1, End: 3},  // ends on [SEP]
		{Label: 0, Start: 2, End: 1},  // ends before it starts
		{Label: 10, Start: 1, End: 2}, // no such type
	} {
		if _, err := data.Decode([]Guess{{g}}); err == nil {
			t.Errorf("guess %+v decoded, want an error", g)
		}
	}
	if _, err := data.Decode(nil); err == nil {
		t.Error("no guesses for one example: want an error")
	}
	if _, err := (ner{}).Encode(tok, task, []clue.Example{{TextA: "刘洋", Entities: []clue.Entity{{Start: 1, End: 2}}}}, Options{}); err == nil {
		t.Error("entity past the text: want an error")
	}
}
