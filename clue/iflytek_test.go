package clue

import "testing"

func TestIFLYTEK(t *testing.T) {
	task := mustLookup(t, "iflytek")
	if len(task.Labels) != 119 || task.Labels[0] != "0" || task.Labels[118] != "118" {
		t.Errorf("labels: %d, want \"0\"..\"118\"", len(task.Labels))
	}
	ds := loadFixture(t, task, "full")
	wantCounts(t, ds, 4, 2, 2)
	few := loadFixture(t, task, "few:all")
	wantCounts(t, few, 4, 4, 2)
	if got := few.Stats.Files["test"].Labels; got["3"] != 1 || got["2"] != 1 {
		t.Errorf("few test_public label distribution = %v", got)
	}
	runDecodeCases(t, task, []decodeCase{
		{name: "string label", raw: `{"label": "118", "label_des": "其他", "sentence": "说明"}`,
			want: Example{TextA: "说明", Label: 118}},
		{name: "int label", raw: `{"label": 7, "label_des": "x", "sentence": "说明", "id": 3}`,
			want: Example{ID: "3", TextA: "说明", Label: 7}},
		{name: "out of range", raw: `{"label": "119", "sentence": "说明"}`, err: `unknown label "119" (want one of 119 labels`},
	})
}
