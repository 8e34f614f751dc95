package clue

import (
	"reflect"
	"testing"
)

func TestTNEWS(t *testing.T) {
	task := mustLookup(t, "tnews")
	if len(task.Labels) != 15 || task.LabelIndex("105") != -1 || task.LabelIndex("111") != -1 {
		t.Errorf("labels = %v, want 15 codes without 105 and 111", task.Labels)
	}
	ds := loadFixture(t, task, "full")
	wantCounts(t, ds, 8, 3, 3)
	if got := ds.Stats.Files["train"].Labels; got["101"] != 3 || got["103"] != 3 || got["116"] != 2 {
		t.Errorf("train label distribution = %v", got)
	}
	few := loadFixture(t, task, "few:1")
	wantCounts(t, few, 2, 2, 2)
	if want := (Example{ID: "13", TextA: "小微企业贷款利率连续三个月下调", Label: task.LabelIndex("104"), Line: 1}); !reflect.DeepEqual(few.Train[0], want) {
		t.Errorf("few:1 first train example = %+v, want %+v", few.Train[0], want)
	}
	runDecodeCases(t, task, []decodeCase{
		{name: "CLUE string label", raw: `{"label": "102", "label_desc": "news_entertainment", "sentence": "标题", "keywords": "甲,乙"}`,
			want: Example{TextA: "标题", Label: 2}},
		{name: "FewCLUE int label", raw: `{"label": 102, "label_desc": "news_entertainment", "sentence": "标题", "keywords": "", "id": 9}`,
			want: Example{ID: "9", TextA: "标题", Label: 2}},
		{name: "test row", raw: `{"id": 0, "sentence": "标题", "keywords": ""}`,
			want: Example{ID: "0", TextA: "标题", Label: -1}},
		{name: "code 105 does not exist", raw: `{"label": "105", "sentence": "标题"}`, err: `unknown label "105"`},
		{name: "fractional label", raw: `{"label": 102.5, "sentence": "标题"}`, err: `field "label": want a string or an integer`},
		{name: "missing sentence", raw: `{"label": "102"}`, err: `field "sentence": missing`},
	})
}
