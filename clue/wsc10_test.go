package clue

import "testing"

func TestWSC10(t *testing.T) {
	task := mustLookup(t, "wsc10")
	ds := loadFixture(t, task, "full")
	wantCounts(t, ds, 3, 2, 2)
	if want := "司机把_车_停在路边，[它]的轮胎已经没气了。"; ds.Train[0].TextA != want || ds.Train[0].Label != 1 {
		t.Errorf("train[0] = %+v, want text %s label true", ds.Train[0], want)
	}
	if got := task.SubmissionFile(Full); got != "cluewsc10_predict.json" {
		t.Errorf("submission file = %q", got)
	}
	if _, err := Load(task, "testdata", Selection{Regime: RegimeFew, Fold: 0}); err == nil {
		t.Error("wsc10 is not in FewCLUE: want an error for few:0")
	}
}
