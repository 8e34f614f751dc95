package clue

import (
	"bytes"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCLUENERDecode(t *testing.T) {
	task := mustLookup(t, "cluener")
	name, scene, book, movie := task.LabelIndex("name"), task.LabelIndex("scene"), task.LabelIndex("book"), task.LabelIndex("movie")
	runDecodeCases(t, task, []decodeCase{
		{name: "entities sorted by position", raw: `{"text": "刘洋在南湖公园拍照", "label": {"scene": {"南湖公园": [[3, 6]]}, "name": {"刘洋": [[0, 1]]}}}`,
			want: Example{TextA: "刘洋在南湖公园拍照", Label: -1, Entities: []Entity{{name, 0, 1, "刘洋"}, {scene, 3, 6, "南湖公园"}}}},
		{name: "one string at two places", raw: `{"text": "陈静和陈静", "label": {"name": {"陈静": [[3, 4], [0, 1]]}}}`,
			want: Example{TextA: "陈静和陈静", Label: -1, Entities: []Entity{{name, 0, 1, "陈静"}, {name, 3, 4, "陈静"}}}},
		{name: "same span, two types", raw: `{"text": "《雾港》", "label": {"movie": {"《雾港》": [[0, 3]]}, "book": {"《雾港》": [[0, 3]]}}}`,
			want: Example{TextA: "《雾港》", Label: -1, Entities: []Entity{{book, 0, 3, "《雾港》"}, {movie, 0, 3, "《雾港》"}}}},
		{name: "repeated span kept once", raw: `{"text": "刘洋", "label": {"name": {"刘洋": [[0, 1], [0, 1]]}}}`,
			want: Example{TextA: "刘洋", Label: -1, Entities: []Entity{{name, 0, 1, "刘洋"}}}},
		{name: "no entities is still labelled", raw: `{"text": "天气很好", "label": {}}`,
			want: Example{TextA: "天气很好", Label: -1, Entities: []Entity{}}},
		{name: "test row", raw: `{"id": 7, "text": "天气很好"}`, want: Example{ID: "7", TextA: "天气很好", Label: -1}},
		{name: "end is inclusive", raw: `{"text": "刘洋在南湖", "label": {"name": {"刘洋": [[0, 2]]}}}`,
			err: `field "label.name": entity "刘洋" at [0, 2] reads "刘洋在" in "text" (end offsets are inclusive)`},
		{name: "span outside the text", raw: `{"text": "刘洋", "label": {"name": {"刘洋": [[1, 2]]}}}`,
			err: `field "label.name": entity "刘洋" at [1, 2] is outside the text (2 characters)`},
		{name: "start after end", raw: `{"text": "刘洋", "label": {"name": {"刘洋": [[1, 0]]}}}`, err: `is outside the text`},
		{name: "unknown type", raw: `{"text": "刘洋", "label": {"person": {"刘洋": [[0, 1]]}}}`,
			err: `field "label.person": unknown entity type (want one of "address", "book"`},
		{name: "span not a pair", raw: `{"text": "刘洋", "label": {"name": {"刘洋": [[0]]}}}`, err: `span [0] is not [start, end]`},
		{name: "spans not a list", raw: `{"text": "刘洋", "label": {"name": {"刘洋": "0-1"}}}`, err: `field "label.name": want {entity: [[start, end], ...]}`},
		{name: "label not an object", raw: `{"text": "刘洋", "label": ["name"]}`, err: `field "label": want an object`},
		{name: "missing text", raw: `{"label": {}}`, err: `field "text": missing`},
	})
}

func TestCLUENERLoad(t *testing.T) {
	task := mustLookup(t, "cluener")
	ds := loadFixture(t, task, "full")
	wantCounts(t, ds, 8, 3, 2)
	st := ds.Stats.Files["train"]
	want := map[string]int{"name": 6, "company": 2, "position": 2, "organization": 2, "address": 1, "government": 1,
		"scene": 1, "book": 1, "game": 1, "movie": 1}
	if !reflect.DeepEqual(st.Labels, want) || st.Unlabelled != 0 {
		t.Errorf("train entity counts = %v (unlabelled %d), want %v", st.Labels, st.Unlabelled, want)
	}
	if ex := ds.Train[7]; ex.ID != "7" || len(ex.Entities) != 3 || ex.Entities[1].Start != 3 {
		t.Errorf("last train row = %+v, want id 7 with 陈静 twice and 北方大学", ex)
	}
	if ex := ds.Train[6]; ex.Entities == nil || len(ex.Entities) != 0 {
		t.Errorf("row without entities = %+v, want labelled and empty", ex)
	}
	if ex := ds.Test[1]; ex.ID != "1" || ex.Labelled() {
		t.Errorf("test row = %+v, want id 1, unlabelled", ex)
	}
	few := loadFixture(t, task, "few:0")
	if few.Stats.Dir != filepath.Join("testdata", "fewclue", "cluener") || len(few.Train) != 2 || len(few.Test) != 3 {
		t.Errorf("few:0 from %s: %d train, %d test", few.Stats.Dir, len(few.Train), len(few.Test))
	}
	if few.Test[0].Entities == nil {
		t.Errorf("few test_public rows must be labelled: %+v", few.Test[0])
	}
}

func TestCLUENERLoadNamesLineAndField(t *testing.T) {
	good := `{"text": "刘洋在南湖", "label": {"name": {"刘洋": [[0, 1]]}}}` + "\n"
	dir := writeFiles(t, map[string]string{
		"cluener_public/train.json": good + `{"text": "刘洋在南湖", "label": {"name": {"刘洋": [[0, 1]]}, "scene": {"南湖": [[2, 3]]}}}` + "\n",
		"cluener_public/dev.json":   good,
	})
	_, err := Load(mustLookup(t, "cluener"), dir, Full)
	if err == nil || !strings.Contains(err.Error(), `train.json:2: field "label.scene": entity "南湖" at [2, 3] reads "在南"`) {
		t.Errorf("err = %v", err)
	}
}

func TestCLUENERKShot(t *testing.T) {
	task := mustLookup(t, "cluener")
	ds := loadFixture(t, task, "full")
	strata, names := task.Strata(ds.Train)
	// Sentence frequencies: name 5, company/position/organization 2, the rest 1. Row 6 has
	// organization and position (both 2): the earlier type wins. Row 7 has no entity.
	want := []int{task.LabelIndex("address"), task.LabelIndex("government"), task.LabelIndex("book"), task.LabelIndex("game"),
		task.LabelIndex("movie"), task.LabelIndex("organization"), len(task.Labels), task.LabelIndex("organization")}
	if !reflect.DeepEqual(strata, want) || names[len(names)-1] != "none" || len(names) != 11 {
		t.Errorf("strata = %v (names %v), want %v", strata, names, want)
	}
	one := loadFixture(t, task, "kshot:1:3")
	st := one.Stats.Files["train"]
	if len(one.Train) != 7 || st.SampledFrom != 8 {
		t.Errorf("kshot:1 took %d of %d, want one per non-empty stratum (7)", len(one.Train), st.SampledFrom)
	}
	if wantShort := map[string]int{"company": 0, "name": 0, "position": 0, "scene": 0}; !reflect.DeepEqual(st.ShortClasses, wantShort) {
		t.Errorf("short strata = %v, want %v", st.ShortClasses, wantShort)
	}
	types := map[string]bool{}
	for _, ex := range one.Train {
		for _, e := range ex.Entities {
			types[task.Labels[e.Type]] = true
		}
	}
	if len(types) != 10 {
		t.Errorf("kshot:1 sample covers %d types, want all 10: %v", len(types), types)
	}
	if two := loadFixture(t, task, "kshot:2:3"); len(two.Train) != 8 {
		t.Errorf("kshot:2 took %d, want all 8", len(two.Train))
	}
}

func TestCLUENERMetrics(t *testing.T) {
	task := mustLookup(t, "cluener")
	name, scene, company, position := task.LabelIndex("name"), task.LabelIndex("scene"), task.LabelIndex("company"), task.LabelIndex("position")
	gold := func(es ...Entity) Example { return Example{Label: -1, Entities: append([]Entity{}, es...)} }
	pred := func(es ...Entity) Prediction { return Prediction{Label: -1, Entities: es} }
	tests := []struct {
		name        string
		gold        []Example
		pred        []Prediction
		p, r, f, of float64
	}{
		// Exact: 3 of 5 predicted match 4 gold. Official: name 1, scene 0 (南湖公 ≠ 南湖公园),
		// company 1, position 0 (no gold); other types absent: (1+0+1+0)/4.
		{"mixed",
			[]Example{gold(Entity{name, 0, 1, "刘洋"}, Entity{scene, 3, 6, "南湖公园"}), gold(Entity{company, 0, 3, "远山集团"}, Entity{name, 8, 9, "周敏"})},
			[]Prediction{pred(Entity{name, 0, 1, "刘洋"}, Entity{scene, 3, 5, "南湖公"}), pred(Entity{company, 0, 3, "远山集团"}, Entity{name, 8, 9, "周敏"}, Entity{position, 5, 7, "总经理"})},
			60, 75, 100 * 6.0 / 9, 50},
		// The official score compares strings, so missing the second 陈静 costs nothing there.
		{"repeated string",
			[]Example{gold(Entity{name, 0, 1, "陈静"}, Entity{name, 3, 4, "陈静"})},
			[]Prediction{pred(Entity{name, 0, 1, "陈静"})},
			100, 50, 100 * 2.0 / 3, 100},
		// Right span, wrong type: nothing matches under either definition.
		{"wrong type",
			[]Example{gold(Entity{name, 0, 1, "刘洋"})},
			[]Prediction{pred(Entity{company, 0, 1, "刘洋"})},
			0, 0, 0, 0},
		{"nothing predicted", []Example{gold(Entity{name, 0, 1, "刘洋"}), gold()}, []Prediction{pred(), pred()}, 0, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Evaluate(task, tc.gold, tc.pred)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]float64{"precision": tc.p, "recall": tc.r, "f1": tc.f, "official_f1": tc.of}
			for k, v := range want {
				if math.Abs(got[k]-v) > 1e-9 {
					t.Errorf("%s = %.4f, want %.4f", k, got[k], v)
				}
			}
			if len(got) != len(want) {
				t.Errorf("metrics %v, want exactly %v", got, want)
			}
		})
	}
	if _, err := Evaluate(task, []Example{gold()}, []Prediction{pred(Entity{Type: 10})}); err == nil || !strings.Contains(err.Error(), "entity type 10") {
		t.Errorf("out-of-range type: err = %v", err)
	}
	if _, err := Evaluate(task, []Example{{Label: -1}}, []Prediction{pred()}); err == nil || !strings.Contains(err.Error(), "unlabelled") {
		t.Errorf("unlabelled gold: err = %v", err)
	}
}

func TestCLUENERSubmission(t *testing.T) {
	task := mustLookup(t, "cluener")
	name, book, movie := task.LabelIndex("name"), task.LabelIndex("book"), task.LabelIndex("movie")
	ids := []string{"0", "x1", "2"}
	pred := []Prediction{
		{Label: -1, Entities: []Entity{{name, 3, 4, "陈静"}, {name, 0, 1, "陈静"}}},
		{Label: -1, Entities: []Entity{{movie, 15, 18, "《雾港》"}, {book, 2, 5, "《雾港》"}}},
		{Label: -1},
	}
	var buf bytes.Buffer
	if err := WritePredictions(&buf, task, ids, pred); err != nil {
		t.Fatal(err)
	}
	want := `{"id":0,"label":{"name":{"陈静":[[0,1],[3,4]]}}}
{"id":"x1","label":{"book":{"《雾港》":[[2,5]]},"movie":{"《雾港》":[[15,18]]}}}
{"id":2,"label":{}}
`
	if buf.String() != want {
		t.Fatalf("submission =\n%s\nwant\n%s", buf.String(), want)
	}
	gotIDs, gotPred, err := ReadPredictions(strings.NewReader(want), "p.json", task)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pred {
		pred[i].Entities = SortEntities(pred[i].Entities)
		if pred[i].Entities == nil {
			pred[i].Entities = []Entity{}
		}
	}
	if !reflect.DeepEqual(gotIDs, ids) || !reflect.DeepEqual(gotPred, pred) {
		t.Errorf("round trip = %v %+v, want %v %+v", gotIDs, gotPred, ids, pred)
	}

	bad := []struct{ name, file, err string }{
		{"span longer than entity", `{"id": 0, "label": {"name": {"陈静": [[0, 2]]}}}`, `p.json:1: field "label.name": entity "陈静" at [0, 2]`},
		{"repeated id", `{"id": 0, "label": {}}` + "\n" + `{"id": 0, "label": {}}`, `p.json:2: field "id": id 0 repeats line 1`},
		{"missing label", `{"id": 0}`, `p.json:1: field "label": missing`},
		{"unknown type", `{"id": 0, "label": {"person": {}}}`, `field "label.person": unknown entity type`},
	}
	for _, tc := range bad {
		if _, _, err := ReadPredictions(strings.NewReader(tc.file), "p.json", task); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.err)
		}
	}
	if err := WritePredictions(&buf, task, ids[:1], []Prediction{{Entities: []Entity{{name, 0, 2, "陈静"}}}}); err == nil {
		t.Error("entity whose span does not fit its text: want an error")
	}
}
