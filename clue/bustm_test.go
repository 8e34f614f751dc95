package clue

import (
	"reflect"
	"testing"
)

func TestBUSTM(t *testing.T) {
	task := mustLookup(t, "bustm")
	ds := loadFixture(t, task, "few:3")
	wantCounts(t, ds, 2, 2, 2)
	if want := (Example{ID: "2", TextA: "把音量调大一点", TextB: "声音再大一些", Label: 1, Line: 1}); !reflect.DeepEqual(ds.Train[0], want) {
		t.Errorf("few:3 first train example = %+v, want %+v", ds.Train[0], want)
	}
	runDecodeCases(t, task, []decodeCase{
		{name: "pair", raw: `{"id": 5, "sentence1": "甲", "sentence2": "乙", "label": "0"}`,
			want: Example{ID: "5", TextA: "甲", TextB: "乙", Label: 0}},
		{name: "missing sentence1", raw: `{"id": 5, "sentence2": "乙", "label": "0"}`, err: `field "sentence1": missing`},
	})
}
