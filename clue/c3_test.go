package clue

import (
	"reflect"
	"strings"
	"testing"
)

func TestC3Load(t *testing.T) {
	task := mustLookup(t, "c3")
	ds := loadFixture(t, task, "full")
	wantCounts(t, ds, 6, 3, 3)
	ctx := "女：这件衣服多少钱？||男：一百二十块。"
	want := Example{ID: "d1-2-0", TextA: ctx, TextB: "衣服多少钱？", Label: 1, Line: 20,
		Choices: [][2]string{{ctx, "衣服多少钱？一百块"}, {ctx, "衣服多少钱？一百二十块"}}}
	if !reflect.DeepEqual(ds.Train[1], want) {
		t.Errorf("second train question =\n  %+v\nwant\n  %+v", ds.Train[1], want)
	}
	// The m- file follows the d- file; it is one line, so every document is on line 1.
	if ex := ds.Train[5]; ex.ID != "m1-2-1" || ex.Line != 1 || ex.Label != 0 || len(ex.Choices) != 2 {
		t.Errorf("last train question = %+v", ex)
	}
	st := ds.Stats.Files["train"]
	if !reflect.DeepEqual(st.Labels, map[string]int{"0": 2, "1": 3, "2": 1}) || !strings.Contains(st.Path, "d-train.json+") ||
		!strings.HasSuffix(st.Path, "m-train.json") {
		t.Errorf("train stats = %+v", st)
	}
	if got := ids(ds.Test); !reflect.DeepEqual(got, []string{"0", "1", "2"}) || ds.Test[2].Labelled() || len(ds.Test[2].Choices) != 2 {
		t.Errorf("test ids %v, last %+v", got, ds.Test[2])
	}
	if k := loadFixture(t, task, "kshot:1:0"); len(k.Train) != 3 || k.Stats.Files["train"].ShortClasses["3"] != 0 {
		t.Errorf("kshot:1 took %d questions, short %v", len(k.Train), k.Stats.Files["train"].ShortClasses)
	}
}

func TestC3Errors(t *testing.T) {
	doc := func(qa string) string { return `[["甲：好。"], [` + qa + `], "d9"]` }
	good := `{"question": "问", "choice": ["是", "否"], "answer": "是"}`
	tests := []struct {
		name, file, want string
	}{
		{"answer not a choice", "[\n" + doc(good) + ",\n" + doc(`{"question": "问", "choice": ["是", "否"], "answer": "对"}`) + "\n]",
			`d-train.json:3: field "[1][0].answer": "对" is not one of the choices ["是" "否"]`},
		{"second question of a document", "[" + doc(good+`, {"question": "问", "choice": ["是"], "answer": "是"}`) + "]",
			`d-train.json:1: field "[1][1].choice": 1 choices, want 2 to 4`},
		{"five choices", "[" + doc(`{"question": "问", "choice": ["一", "二", "三", "四", "五"]}`) + "]", `5 choices, want 2 to 4`},
		{"missing question", "[" + doc(`{"choice": ["是", "否"]}`) + "]", `field "[1][0].question": missing`},
		{"context not strings", `[[[1], [` + good + `], "d9"]]`, `field "[0]": want an array of strings`},
		{"two parts", `[[["甲"], [` + good + `]]]`, `d-train.json:1: document 0: want [context lines, questions, id], got 2 parts`},
		{"questions not a list", `[[["甲"], {"question": "问"}, "d9"]]`, `field "[1]": want a list of questions`},
		{"not an array", `{"data": []}`, `d-train.json:1: want a JSON array of documents`},
		{"truncated", "[\n" + doc(good) + ",\n[", `d-train.json:3: document 1`},
	}
	task := mustLookup(t, "c3")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{
				"c3/d-train.json": tc.file, "c3/m-train.json": "[" + doc(good) + "]",
				"c3/d-dev.json": "[" + doc(good) + "]", "c3/m-dev.json": "[]",
			})
			_, err := Load(task, dir, Full)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
