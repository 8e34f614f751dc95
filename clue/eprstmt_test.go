package clue

import "testing"

func TestEPRSTMT(t *testing.T) {
	task := mustLookup(t, "eprstmt")
	for _, sel := range []string{"few:0", "few:2", "few:all"} {
		ds := loadFixture(t, task, sel)
		if len(ds.Train) == 0 || len(ds.Dev) == 0 || len(ds.Test) != 2 {
			t.Errorf("%s: train/dev/test = %d/%d/%d", sel, len(ds.Train), len(ds.Dev), len(ds.Test))
		}
	}
	if _, err := Load(task, "testdata", Full); err == nil {
		t.Error("full selection on a FewCLUE-only task: want an error")
	}
	if got := task.SubmissionFile(Full); got != "eprstmt_predict.json" {
		t.Errorf("SubmissionFile = %q", got)
	}
	runDecodeCases(t, task, []decodeCase{
		{name: "positive", raw: `{"id": 23, "sentence": "很好用", "label": "Positive"}`,
			want: Example{ID: "23", TextA: "很好用", Label: 1}},
		{name: "labels are case sensitive", raw: `{"id": 1, "sentence": "差", "label": "negative"}`,
			err: `unknown label "negative"`},
	})
}
