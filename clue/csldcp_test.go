package clue

import "testing"

func TestCSLDCP(t *testing.T) {
	task := mustLookup(t, "csldcp")
	if len(task.Labels) != 67 {
		t.Fatalf("%d labels, FewCLUE's labels_all.txt has 67", len(task.Labels))
	}
	for _, sel := range []string{"few:0", "few:4", "few:all"} {
		ds := loadFixture(t, task, sel)
		if len(ds.Train) == 0 || len(ds.Dev) == 0 || len(ds.Test) != 2 {
			t.Errorf("%s: train/dev/test = %d/%d/%d", sel, len(ds.Train), len(ds.Dev), len(ds.Test))
		}
	}
	if _, err := Load(task, "testdata", Full); err == nil {
		t.Error("full selection on a FewCLUE-only task: want an error")
	}
	if got := task.SubmissionFile(Full); got != "csldcp_predict.json" {
		t.Errorf("SubmissionFile = %q", got)
	}
	runDecodeCases(t, task, []decodeCase{
		{name: "first label", raw: `{"content": "显微镜", "label": "材料科学与工程", "id": 1142}`,
			want: Example{ID: "1142", TextA: "显微镜", Label: 0}},
		{name: "a label with a slash", raw: `{"content": "金矿", "label": "地质学/地质资源与地质工程", "id": 3}`,
			want: Example{ID: "3", TextA: "金矿", Label: 15}},
		{name: "last label", raw: `{"content": "病虫害", "label": "植物保护", "id": 4}`,
			want: Example{ID: "4", TextA: "病虫害", Label: 66}},
		{name: "test row without label", raw: `{"id": 0, "content": "金山金矿床"}`,
			want: Example{ID: "0", TextA: "金山金矿床", Label: -1}},
		{name: "half of a slashed label", raw: `{"content": "金矿", "label": "地质学", "id": 5}`,
			err: `unknown label "地质学"`},
		{name: "text field is content", raw: `{"sentence": "金矿", "label": "数学", "id": 6}`,
			err: `content`},
	})
}
