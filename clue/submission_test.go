package clue

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestWriteSubmission(t *testing.T) {
	task := mustLookup(t, "eprstmt")
	var buf bytes.Buffer
	ids := []string{"0", "12", "a-3", "007", "-4"}
	pred := []int{1, 0, 1, 0, 1}
	if err := WriteSubmission(&buf, task, ids, pred); err != nil {
		t.Fatal(err)
	}
	want := `{"id": 0, "label": "Positive"}
{"id": 12, "label": "Negative"}
{"id": "a-3", "label": "Positive"}
{"id": "007", "label": "Negative"}
{"id": "-4", "label": "Positive"}
`
	if buf.String() != want {
		t.Errorf("submission =\n%s\nwant\n%s", buf.String(), want)
	}
	gotIDs, gotPred, err := ReadSubmission(&buf, "sub.json", task)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotIDs, ids) || !reflect.DeepEqual(gotPred, pred) {
		t.Errorf("round trip = %v %v, want %v %v", gotIDs, gotPred, ids, pred)
	}

	if err := WriteSubmission(&buf, task, ids[:2], pred); err == nil {
		t.Error("length mismatch: want an error")
	}
	if err := WriteSubmission(&buf, task, ids[:1], []int{2}); err == nil {
		t.Error("prediction outside the label set: want an error")
	}
}

// TestSubmissionFromFixture writes predictions for a real test split and reads them back.
func TestSubmissionFromFixture(t *testing.T) {
	task := mustLookup(t, "tnews")
	ds := loadFixture(t, task, "full")
	pred := make([]int, len(ds.Test))
	for i := range pred {
		pred[i] = (i * 5) % len(task.Labels)
	}
	var buf bytes.Buffer
	if err := WriteSubmission(&buf, task, ids(ds.Test), pred); err != nil {
		t.Fatal(err)
	}
	if first := strings.SplitN(buf.String(), "\n", 2)[0]; first != `{"id": 0, "label": "100"}` {
		t.Errorf("first line = %s", first)
	}
	gotIDs, gotPred, err := ReadSubmission(&buf, "tnews11_predict.json", task)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotIDs, ids(ds.Test)) || !reflect.DeepEqual(gotPred, pred) {
		t.Errorf("round trip = %v %v", gotIDs, gotPred)
	}
}

func TestReadSubmissionErrors(t *testing.T) {
	task := mustLookup(t, "bustm")
	tests := []struct {
		name, input, want string
	}{
		{"repeated id", "{\"id\": 1, \"label\": \"0\"}\n{\"id\": \"1\", \"label\": \"1\"}\n", `p.json:2: field "id": id 1 repeats line 1`},
		{"missing label", "{\"id\": 1}\n", `p.json:1: field "label": missing`},
		{"missing id", "{\"label\": \"1\"}\n", `p.json:1: field "id": missing`},
		{"unknown label", "{\"id\": 1, \"label\": \"0\"}\n\n{\"id\": 2, \"label\": \"2\"}\n", `p.json:3: field "label": unknown label "2"`},
		{"malformed", "{\"id\": 1, \"label\": \"0\"\n", `p.json:1: invalid JSON`},
	}
	for _, tc := range tests {
		_, _, err := ReadSubmission(strings.NewReader(tc.input), "p.json", task)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	ids, pred, err := ReadSubmission(strings.NewReader("{\"id\": 3, \"label\": 1}\n"), "p.json", task)
	if err != nil || ids[0] != "3" || pred[0] != 1 {
		t.Errorf("numeric label: %v %v %v", ids, pred, err)
	}
}
