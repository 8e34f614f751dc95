package clue

import (
	"reflect"
	"testing"
)

func TestAFQMC(t *testing.T) {
	task := mustLookup(t, "afqmc")
	ds := loadFixture(t, task, "full")
	wantCounts(t, ds, 8, 3, 3)
	first := Example{ID: "0", TextA: "花呗怎么提前还款", TextB: "花呗可以提前还清吗", Label: 1, Line: 1}
	if !reflect.DeepEqual(ds.Train[0], first) {
		t.Errorf("first train example = %+v, want %+v", ds.Train[0], first)
	}
	if got := ds.Test[2]; got.ID != "2" || got.Label != -1 {
		t.Errorf("last test example = %+v, want id 2, unlabelled", got)
	}
	runDecodeCases(t, task, []decodeCase{
		{name: "labelled", raw: `{"sentence1": "甲", "sentence2": "乙", "label": "0"}`,
			want: Example{TextA: "甲", TextB: "乙", Label: 0}},
		{name: "numeric label", raw: `{"sentence1": "甲", "sentence2": "乙", "label": 1}`,
			want: Example{TextA: "甲", TextB: "乙", Label: 1}},
		{name: "test row", raw: `{"id": 41, "sentence1": "甲", "sentence2": "乙"}`,
			want: Example{ID: "41", TextA: "甲", TextB: "乙", Label: -1}},
		{name: "missing sentence2", raw: `{"sentence1": "甲", "label": "0"}`, err: `field "sentence2": missing`},
		{name: "sentence1 not a string", raw: `{"sentence1": 3, "sentence2": "乙"}`, err: `field "sentence1": want a string`},
		{name: "unknown label", raw: `{"sentence1": "甲", "sentence2": "乙", "label": "2"}`, err: `field "label": unknown label "2"`},
	})
}
