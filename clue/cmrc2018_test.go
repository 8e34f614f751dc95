package clue

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestCMRC2018Load(t *testing.T) {
	task := mustLookup(t, "cmrc2018")
	ds := loadFixture(t, task, "full")
	wantCounts(t, ds, 4, 2, 1)
	want := Example{ID: "TRAIN_1_QUERY_0", TextA: "东湖公园位于城市的哪个方向？", TextB: "东湖公园位于城市东部，面积约三百公顷，每年春天都会举办樱花节。",
		Label: -1, Line: 10, Answers: []Answer{{Text: "东部", Start: 8}}}
	if !reflect.DeepEqual(ds.Train[0], want) {
		t.Errorf("first question =\n  %+v\nwant\n  %+v", ds.Train[0], want)
	}
	// answer_start 3 does not point at 李平: the occurrence at 17 is used.
	if a := ds.Train[3].Answers; len(a) != 1 || a[0].Start != 17 {
		t.Errorf("repaired answer = %+v", a)
	}
	if len(ds.Dev[0].Answers) != 3 || ds.Test[0].Labelled() || ds.Test[0].ID != "TEST_1_QUERY_0" {
		t.Errorf("dev answers %+v, test %+v", ds.Dev[0].Answers, ds.Test[0])
	}
	if k := loadFixture(t, task, "kshot:2:1"); len(k.Train) != 2 {
		t.Errorf("kshot:2 took %d questions, want 2 in all", len(k.Train))
	}
}

func TestCMRC2018Errors(t *testing.T) {
	qa := func(body string) string {
		return `{"data": [{"paragraphs": [{"context": "甲乙丙", "qas": [` + "\n" + `{"question": "问", "id": "Q0", "answers": [{"text": "乙", "answer_start": 1}]},` + "\n" + body + `]}]}]}`
	}
	tests := []struct{ name, file, want string }{
		{"answer missing its start", qa(`{"question": "问", "id": "Q1", "answers": [{"text": "乙"}]}`),
			`train.json:3: field "data[0].paragraphs[0].qas[1].answers": answer 0 needs "text" and "answer_start"`},
		{"no id", qa(`{"question": "问", "answers": []}`), `train.json:3: field "data[0].paragraphs[0].qas[1].id": missing`},
		{"question not a string", qa(`{"question": 7, "id": "Q1"}`), `field "data[0].paragraphs[0].qas[1].question": want a string`},
		{"answers not a list", qa(`{"question": "问", "id": "Q1", "answers": "乙"}`), `want [{"text", "answer_start"}, ...]`},
		{"no context", `{"data": [{"paragraphs": [{"qas": [{"question": "问", "id": "Q"}]}]}]}`, `field "data[0].paragraphs[0].context": want a string`},
		{"data not a list", `{"data": {}}`, `train.json:1: field "data": want "["`},
		{"not JSON", `{"data": [`, `train.json:1:`},
	}
	task := mustLookup(t, "cmrc2018")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"cmrc2018/train.json": tc.file, "cmrc2018/dev.json": qa(`{"question": "问", "id": "Q9"}`)})
			_, err := Load(task, dir, Full)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCMRC2018Metrics(t *testing.T) {
	tests := []struct {
		gold, pred string
		em, f1     float64
	}{
		{"《长风》", "长风", 1, 1},                                   // punctuation is dropped on both sides
		{"一百二十块", "一百块", 0, 0.5},                               // common run 一百: P 2/3, R 2/5
		{"甲乙丙丁", "甲丙丁", 0, 4.0 / 7},                            // a substring (丙丁), not a subsequence (甲丙丁)
		{"New York City", "new york", 0, 0.8},                  // words, lower-cased
		{"3.5米", "3.5", 0, 2.0 / 3},                            // "3.5" stays one token
		{"公园…", "公园", 0, 0.8},                                  // "…" is not in the evaluator's list
		{"东湖", "西湖", 0, 0.5},                                   // 湖 in common
		{"东湖", "", 0, 0},                                       // empty prediction
		{" Tsinghua University ", "tsinghua-university", 0, 0}, // "-" is dropped and the words join
	}
	for _, tc := range tests {
		if em, f1 := cmrcEM(tc.gold, tc.pred), cmrcF1(tc.gold, tc.pred); em != tc.em || math.Abs(f1-tc.f1) > 1e-9 {
			t.Errorf("(%q, %q): em %v f1 %.4f, want %v %.4f", tc.gold, tc.pred, em, f1, tc.em, tc.f1)
		}
	}
	// Per question the best gold answer counts; questions are averaged.
	task := mustLookup(t, "cmrc2018")
	gold := []Example{{Label: -1, Answers: []Answer{{"约八十公里", 5}, {"八十公里", 6}}}, {Label: -1, Answers: []Answer{{"明代", 20}}}}
	got, err := Evaluate(task, gold, []Prediction{{Answer: "八十公里"}, {Answer: "明朝"}})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got["em"]-50) > 1e-9 || math.Abs(got["f1"]-75) > 1e-9 {
		t.Errorf("metrics %v, want em 50, f1 75", got)
	}
}

func TestCMRC2018Submission(t *testing.T) {
	task := mustLookup(t, "cmrc2018")
	var buf bytes.Buffer
	ids := []string{"Q2", "Q1"}
	if err := WritePredictions(&buf, task, ids, []Prediction{{Answer: "明代"}, {Answer: "<约八十公里>"}}); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"Q1\": \"<约八十公里>\",\n  \"Q2\": \"明代\"\n}\n"; buf.String() != want {
		t.Errorf("submission =\n%s\nwant\n%s", buf.String(), want)
	}
	gotIDs, pred, err := ReadPredictions(&buf, "p.json", task)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotIDs, []string{"Q1", "Q2"}) || pred[0].Answer != "<约八十公里>" || pred[1].Answer != "明代" {
		t.Errorf("read back %v %+v", gotIDs, pred)
	}
	if _, _, err := ReadPredictions(strings.NewReader(`{"Q1": 3}`), "p.json", task); err == nil || !strings.Contains(err.Error(), `field "Q1": want a string`) {
		t.Errorf("err = %v", err)
	}
	if err := WritePredictions(&buf, task, []string{"Q", "Q"}, make([]Prediction, 2)); err == nil {
		t.Error("repeated id: want an error")
	}
}
