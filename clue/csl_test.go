package clue

import (
	"reflect"
	"testing"
)

func TestCSL(t *testing.T) {
	task := mustLookup(t, "csl")
	ds := loadFixture(t, task, "full")
	wantCounts(t, ds, 4, 2, 2)
	const abst = "针对城市道路积水预测精度不足的问题，本文提出一种结合降雨雷达数据与排水管网模型的方法，实验表明该方法能提前半小时给出较准确的积水深度估计。"
	if want := (Example{ID: "0", TextA: "积水预测；降雨雷达；排水管网", TextB: abst, Label: 1, Line: 1}); !reflect.DeepEqual(ds.Train[0], want) {
		t.Errorf("first train example = %+v, want %+v", ds.Train[0], want)
	}
	few := loadFixture(t, task, "few:4")
	wantCounts(t, few, 2, 2, 2)
	runDecodeCases(t, task, []decodeCase{
		{name: "keywords joined with full-width semicolon", raw: `{"id": 1, "abst": "摘要", "keyword": ["甲", "乙", "丙"], "label": "0"}`,
			want: Example{ID: "1", TextA: "甲；乙；丙", TextB: "摘要", Label: 0}},
		{name: "single keyword", raw: `{"id": 2, "abst": "摘要", "keyword": ["甲"]}`,
			want: Example{ID: "2", TextA: "甲", TextB: "摘要", Label: -1}},
		{name: "keyword must be a list", raw: `{"id": 1, "abst": "摘要", "keyword": "甲", "label": "0"}`,
			err: `field "keyword": want an array of strings`},
		{name: "empty keyword list", raw: `{"id": 1, "abst": "摘要", "keyword": [], "label": "0"}`, err: `field "keyword": empty list`},
		{name: "missing abstract", raw: `{"id": 1, "keyword": ["甲"], "label": "1"}`, err: `field "abst": missing`},
	})
}
