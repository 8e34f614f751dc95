package clue

import "testing"

func TestWSC(t *testing.T) {
	task := mustLookup(t, "wsc")
	ds := loadFixture(t, task, "full")
	wantCounts(t, ds, 4, 2, 2)
	want := []struct {
		id, text string
		label    int
	}{
		{"0", "小王把书借给了_老李_，因为[他]下周要考试。", 0},
		{"1", "_小王_把书借给了老李，因为[他]下周要考试。", 1},
	}
	for i, w := range want {
		got := ds.Train[i]
		if got.ID != w.id || got.TextA != w.text || got.TextB != "" || got.Label != w.label {
			t.Errorf("train[%d] = %+v, want id %s text %s label %d", i, got, w.id, w.text, w.label)
		}
	}
	// In this test row the pronoun comes before span1.
	if got := ds.Test[1]; got.ID != "1" || got.TextA != "看到[他]进门，_小刘_马上关掉了电视。" || got.Label != -1 {
		t.Errorf("test[1] = %+v", got)
	}
	few := loadFixture(t, task, "few:all")
	wantCounts(t, few, 4, 4, 2)
	if got := task.SubmissionFile(Selection{Regime: RegimeFew}); got != "cluewscf_predict.json" {
		t.Errorf("FewCLUE submission file = %q", got)
	}
	if got := task.SubmissionFile(Full); got != "cluewsc11_predict.json" {
		t.Errorf("CLUE submission file = %q", got)
	}

	row := func(target, rest string) string {
		return `{"target": ` + target + `, "idx": 3, ` + rest + `}`
	}
	runDecodeCases(t, task, []decodeCase{
		{name: "span1 before pronoun",
			raw:  row(`{"span2_index": 12, "span1_index": 7, "span1_text": "老李", "span2_text": "他"}`, `"label": "false", "text": "小王把书借给了老李，因为他下周要考试。"`),
			want: Example{ID: "3", TextA: "小王把书借给了_老李_，因为[他]下周要考试。", Label: 0}},
		{name: "boolean label and string indices",
			raw:  row(`{"span2_index": "2", "span1_index": "6", "span1_text": "小刘", "span2_text": "他"}`, `"label": true, "text": "看到他进门，小刘马上关掉了电视。"`),
			want: Example{ID: "3", TextA: "看到[他]进门，_小刘_马上关掉了电视。", Label: 1}},
		{name: "adjacent spans",
			raw:  row(`{"span2_index": 1, "span1_index": 0, "span1_text": "甲", "span2_text": "乙"}`, `"label": "true", "text": "甲乙丙"`),
			want: Example{ID: "3", TextA: "_甲_[乙]丙", Label: 1}},
		{name: "pronoun nested in span1",
			raw:  row(`{"span2_index": 0, "span1_index": 0, "span1_text": "他爹", "span2_text": "他"}`, `"label": "false", "text": "他爹来了"`),
			want: Example{ID: "3", TextA: "_[他]爹_来了", Label: 0}},
		{name: "test row uses id",
			raw:  `{"target": {"span2_index": 1, "span1_index": 0, "span1_text": "甲", "span2_text": "乙"}, "id": 8, "text": "甲乙"}`,
			want: Example{ID: "8", TextA: "_甲_[乙]", Label: -1}},
		{name: "span1 text mismatch",
			raw: row(`{"span2_index": 12, "span1_index": 6, "span1_text": "老李", "span2_text": "他"}`, `"label": "false", "text": "小王把书借给了老李，因为他下周要考试。"`),
			err: `field "target.span1_index": text at character 6 is "了老", but target.span1_text is "老李"`},
		{name: "pronoun index outside text",
			raw: row(`{"span2_index": 19, "span1_index": 0, "span1_text": "小王", "span2_text": "他"}`, `"label": "false", "text": "小王把书借给了老李，因为他下周要考试。"`),
			err: `field "target.span2_index": span "他" at character 19 runs outside the text (19 characters)`},
		{name: "missing span2_text",
			raw: row(`{"span2_index": 1, "span1_index": 0, "span1_text": "甲"}`, `"label": "true", "text": "甲乙"`),
			err: `field "target.span2_text": missing`},
		{name: "fractional index",
			raw: row(`{"span2_index": 1.5, "span1_index": 0, "span1_text": "甲", "span2_text": "乙"}`, `"label": "true", "text": "甲乙"`),
			err: `field "target.span2_index": want an integer, got 1.5`},
		{name: "missing target", raw: `{"idx": 1, "label": "true", "text": "甲乙"}`, err: `field "target": missing`},
		{name: "missing text",
			raw: row(`{"span2_index": 1, "span1_index": 0, "span1_text": "甲", "span2_text": "乙"}`, `"label": "true"`),
			err: `field "text": missing`},
		{name: "unknown label",
			raw: row(`{"span2_index": 1, "span1_index": 0, "span1_text": "甲", "span2_text": "乙"}`, `"label": "yes", "text": "甲乙"`),
			err: `field "label": unknown label "yes"`},
	})
}
