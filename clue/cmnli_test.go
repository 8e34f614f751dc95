package clue

import "testing"

func TestCMNLI(t *testing.T) {
	task := mustLookup(t, "cmnli")
	ds := loadFixture(t, task, "full")
	wantCounts(t, ds, 3, 2, 2)
	if ds.Stats.Files["train"].Dropped != 1 || ds.Stats.Files["dev"].Dropped != 1 {
		t.Errorf("dropped train/dev = %d/%d, want 1/1", ds.Stats.Files["train"].Dropped, ds.Stats.Files["dev"].Dropped)
	}
	if _, err := Load(task, "testdata", Selection{Regime: RegimeFew}); err == nil {
		t.Error("few selection on a task outside FewCLUE: want an error")
	}
	runDecodeCases(t, task, []decodeCase{
		{name: "labelled", raw: `{"sentence1": "前提", "sentence2": "假设", "label": "entailment"}`,
			want: Example{TextA: "前提", TextB: "假设", Label: 0}},
		{name: "dash", raw: `{"sentence1": "前提", "sentence2": "假设", "label": "-"}`, err: "row dropped"},
	})
}
