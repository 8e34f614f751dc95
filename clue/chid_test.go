package clue

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestCHIDLoad(t *testing.T) {
	task := mustLookup(t, "chid")
	ds := loadFixture(t, task, "full")
	wantCounts(t, ds, 5, 3, 1)
	ex := ds.Train[3]
	text := "老人挖山不止，这种" + ClozeMark + "的精神感动了大家，也有人说他像[MASK][MASK][MASK][MASK]一样固执。"
	if ex.ID != "#idiom000004#" || ex.Label != 9 || ex.Line != 3 || ex.TextA != text || len(ex.Choices) != 10 ||
		ex.Choices[2] != [2]string{"画蛇添足", text} {
		t.Errorf("fourth blank = %+v", ex)
	}
	if second := ds.Train[4]; second.Group != ex.Group || second.Label != 3 || !strings.HasSuffix(second.TextA, ClozeMark+"一样固执。") {
		t.Errorf("fifth blank = %+v, want the second blank of the same record", second)
	}
	if ds.Train[0].Group != ds.Train[1].Group || ds.Train[0].Group == ex.Group {
		t.Errorf("groups %q %q %q: a record's passages share one group, records differ", ds.Train[0].Group, ds.Train[1].Group, ex.Group)
	}
	if ds.Test[0].Labelled() || ds.Test[0].ID != "#idiom000021#" {
		t.Errorf("test blank = %+v, want unlabelled (no answer file)", ds.Test[0])
	}
	few := loadFixture(t, task, "few:0")
	if f := few.Train[0]; f.ID != "0" || f.Label != 1 || len(f.Choices) != 7 || !strings.Contains(f.TextA, ClozeMark) {
		t.Errorf("FewCLUE blank = %+v", f)
	}
}

func TestCHIDErrors(t *testing.T) {
	line := `{"candidates": ["甲", "乙"], "content": ["前#idiom000001#后"]}`
	tests := []struct{ name, data, answers, want string }{
		{"blank without answer", line + "\n" + `{"candidates": ["甲", "乙"], "content": ["#idiom000002#"]}`, `{"#idiom000001#": 0}`,
			`train.json:2: field "content": blank #idiom000002# has no answer in`},
		{"answer not a candidate", line, `{"#idiom000001#": 2}`, `train.json:1: answer of #idiom000001#: 2 is not a candidate index in [0, 2)`},
		{"answer file not an object", line, `[0]`, `train_answer.json:1: want one JSON object`},
		{"passage without blank", `{"candidates": ["甲", "乙"], "content": ["前后"]}`, `{}`, `field "content": passage 0 has no #idiom…# blank`},
		{"content a number", `{"candidates": ["甲", "乙"], "content": 3}`, `{}`, `field "content": want a passage or a list of passages`},
		{"one candidate", `{"candidates": ["甲"], "content": ["#idiom000001#"]}`, `{"#idiom000001#": 0}`, `1 candidates, want 2 to 10`},
	}
	task := mustLookup(t, "chid")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"chid/train.json": tc.data, "chid/train_answer.json": tc.answers,
				"chid/dev.json": line, "chid/dev_answer.json": `{"#idiom000001#": 1}`})
			_, err := Load(task, dir, Full)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestMinCostAssignment(t *testing.T) {
	tests := []struct {
		name string
		cost [][]float64
		want []int
	}{
		{"square", [][]float64{{4, 1, 3}, {2, 0, 5}, {3, 2, 2}}, []int{1, 0, 2}},
		{"both rows prefer column 0", [][]float64{{-5, -4, 0}, {-6, -1, 0}}, []int{1, 0}},
		{"more columns than rows", [][]float64{{9, 9, 1, 9}, {9, 9, 2, 3}}, []int{2, 3}},
		{"one row", [][]float64{{3, 1, 2}}, []int{1}},
	}
	for _, tc := range tests {
		if got := minCostAssignment(tc.cost); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCHIDAssignmentMetric(t *testing.T) {
	task := mustLookup(t, "chid")
	// Both blanks of group g score candidate 0 highest; only one can have it. The assignment
	// gives the first blank candidate 1 (4 + 6 beats 5 + 1). The lone blank of h keeps its
	// best candidate.
	gold := []Example{{Label: 1, Group: "g"}, {Label: 0, Group: "g"}, {Label: 2, Group: "h"}}
	pred := []Prediction{{Label: 0, Scores: []float64{5, 4, 0}}, {Label: 0, Scores: []float64{6, 1, 0}}, {Label: 2, Scores: []float64{0, 1, 2}}}
	got, err := Evaluate(task, gold, pred)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got["accuracy"]-200.0/3) > 1e-9 || got["assignment_accuracy"] != 100 {
		t.Errorf("metrics %v, want accuracy 66.7, assignment_accuracy 100", got)
	}
	if pred[0].Assigned != 0 {
		t.Error("Evaluate changed the caller's predictions")
	}
	Resolve(task, gold, pred)
	var buf bytes.Buffer
	if err := WritePredictions(&buf, task, []string{"#idiom2#", "#idiom1#", "#idiom3#"}, pred); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"#idiom1#\": 0,\n  \"#idiom2#\": 1,\n  \"#idiom3#\": 2\n}\n"; buf.String() != want {
		t.Errorf("submission =\n%s\nwant\n%s", buf.String(), want)
	}
	ids, back, err := ReadPredictions(&buf, "p.json", task)
	if err != nil || !reflect.DeepEqual(ids, []string{"#idiom1#", "#idiom2#", "#idiom3#"}) || back[1].Label != 1 || back[1].Assigned != 1 {
		t.Errorf("read back %v %+v %v", ids, back, err)
	}
	if _, _, err := ReadPredictions(strings.NewReader(`{"#idiom1#": 10}`), "p.json", task); err == nil || !strings.Contains(err.Error(), `field "#idiom1#"`) {
		t.Errorf("err = %v", err)
	}
}
