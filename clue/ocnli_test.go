package clue

import "testing"

func TestOCNLI(t *testing.T) {
	task := mustLookup(t, "ocnli")
	ds := loadFixture(t, task, "full")
	wantCounts(t, ds, 4, 2, 2)
	for split, want := range map[string]int{"train": 1, "dev": 1, "test": 0} {
		st := ds.Stats.Files[split]
		if st.Dropped != want || st.DropReasons[`label "-"`] != want {
			t.Errorf("%s: dropped %d (%v), want %d rows with label \"-\"", split, st.Dropped, st.DropReasons, want)
		}
	}
	// The dropped train row (line 4) must not shift the lines or ids of the rows after it.
	if last := ds.Train[3]; last.Line != 5 || last.ID != "4" {
		t.Errorf("row after the dropped one: line %d id %s, want line 5 id 4", last.Line, last.ID)
	}
	f, err := ReadFile(task, "testdata/ocnli_public/dev.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Dropped) != 1 || f.Dropped[0].ID != "1" || f.Dropped[0].Line != 2 {
		t.Errorf("dropped rows = %+v, want id 1 on line 2", f.Dropped)
	}
	few := loadFixture(t, task, "few:0")
	wantCounts(t, few, 2, 2, 2)
	runDecodeCases(t, task, []decodeCase{
		{name: "labelled", raw: `{"sentence1": "前提", "sentence2": "假设", "label": "contradiction", "label0": "neutral", "id": 5}`,
			want: Example{ID: "5", TextA: "前提", TextB: "假设", Label: 2}},
		{name: "dash is dropped", raw: `{"sentence1": "前提", "sentence2": "假设", "label": "-", "id": 6}`,
			err: `row dropped: label "-"`},
		{name: "label0 is not the label", raw: `{"sentence1": "前提", "sentence2": "假设", "label": "maybe", "label0": "neutral"}`,
			err: `unknown label "maybe"`},
	})
}
