package clue

import (
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const (
	afqmcRow0 = `{"sentence1": "甲", "sentence2": "乙", "label": "0"}`
	afqmcRow1 = `{"sentence1": "丙", "sentence2": "丁", "label": "1"}`
)

func TestLoadDataErrors(t *testing.T) {
	good := afqmcRow0 + "\n" + afqmcRow1 + "\n"
	tests := []struct {
		name       string
		train, dev string
		want       []string // substrings of the error
	}{
		{"malformed JSON", good + "{\"sentence1\": \"甲\",\n", good,
			[]string{"clue/afqmc: ", filepath.Join("afqmc_public", "train.json") + ":3: invalid JSON"}},
		{"missing field", good, afqmcRow0 + "\n" + `{"sentence1": "丙", "label": "1"}` + "\n",
			[]string{filepath.Join("afqmc_public", "dev.json") + `:2: field "sentence2": missing`}},
		{"unknown label", `{"sentence1": "甲", "sentence2": "乙", "label": "是"}` + "\n", good,
			[]string{"train.json:1: field \"label\": unknown label \"是\" (want one of \"0\", \"1\")"}},
		{"unlabelled training row", good + `{"sentence1": "甲", "sentence2": "乙"}` + "\n", good,
			[]string{`train.json:3: field "label": missing (this split must be labelled)`}},
		{"line numbers count blank lines", good + "\n\n" + `{"sentence1": 1, "sentence2": "乙", "label": "0"}` + "\n", good,
			[]string{`train.json:5: field "sentence1": want a string, got 1`}},
	}
	task := mustLookup(t, "afqmc")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{
				"afqmc_public/train.json": tc.train,
				"afqmc_public/dev.json":   tc.dev,
			})
			_, err := Load(task, dir, Full)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadLayout(t *testing.T) {
	task := mustLookup(t, "afqmc")
	t.Run("test file absent", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{
			"afqmc/train.json": "\uFEFF" + afqmcRow0 + "\r\n" + afqmcRow1 + "\r\n\r\n",
			"afqmc/dev.json":   afqmcRow1 + "\n",
		})
		ds, err := Load(task, dir, Full)
		if err != nil {
			t.Fatal(err)
		}
		wantCounts(t, ds, 2, 1, 0)
		st := ds.Stats.Files["test"]
		if !st.Missing || st.Path != filepath.Join(dir, "afqmc", "test.json") || len(ds.Stats.Notes) != 1 {
			t.Errorf("test stats = %+v, notes %v; want missing with its path and a note", st, ds.Stats.Notes)
		}
		if ds.Stats.Dir != filepath.Join(dir, "afqmc") {
			t.Errorf("resolved dir %s, want the second candidate folder", ds.Stats.Dir)
		}
	})
	t.Run("first folder holding the train file wins", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{
			"afqmc_public/readme.txt": "no data here",
			"afqmc/train.json":        afqmcRow0 + "\n",
			"afqmc/dev.json":          afqmcRow0 + "\n",
		})
		ds, err := Load(task, dir, Full)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Stats.Dir != filepath.Join(dir, "afqmc") {
			t.Errorf("resolved %s", ds.Stats.Dir)
		}
	})
	t.Run("nothing found lists what was tried", func(t *testing.T) {
		_, err := Load(task, t.TempDir(), Full)
		if err == nil || !strings.Contains(err.Error(), filepath.Join("afqmc_public", "train.json")) ||
			!strings.Contains(err.Error(), filepath.Join("afqmc", "train.json")) {
			t.Errorf("err = %v, want both candidate paths", err)
		}
	})
	t.Run("dev file missing is an error", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"afqmc/train.json": afqmcRow0 + "\n"})
		if _, err := Load(task, dir, Full); err == nil || !strings.Contains(err.Error(), "dev.json") {
			t.Errorf("err = %v, want one naming dev.json", err)
		}
	})
	t.Run("few test_public must be labelled", func(t *testing.T) {
		row := `{"id": 1, "sentence": "好", "label": "Positive"}` + "\n"
		dir := writeFiles(t, map[string]string{
			"eprstmt/train_0.json":     row,
			"eprstmt/dev_0.json":       row,
			"eprstmt/test_public.json": row + `{"id": 2, "sentence": "差"}` + "\n",
		})
		_, err := Load(mustLookup(t, "eprstmt"), dir, Selection{Regime: RegimeFew, Fold: 0})
		if err == nil || !strings.Contains(err.Error(), `test_public.json:2: field "label": missing`) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestKShot(t *testing.T) {
	task := mustLookup(t, "afqmc") // fixture train: five "0" rows, three "1" rows
	a := loadFixture(t, task, "kshot:2:1")
	b := loadFixture(t, task, "kshot:2:1")
	if !reflect.DeepEqual(ids(a.Train), ids(b.Train)) {
		t.Errorf("same seed, different samples: %v vs %v", ids(a.Train), ids(b.Train))
	}
	st := a.Stats.Files["train"]
	if want := map[string]int{"0": 2, "1": 2}; !reflect.DeepEqual(st.Labels, want) || st.Examples != 4 || st.SampledFrom != 8 {
		t.Errorf("kshot:2 train stats = %+v", st)
	}
	if len(st.ShortClasses) != 0 {
		t.Errorf("no class is short of 2 examples, got %v", st.ShortClasses)
	}
	if !sort.SliceIsSorted(a.Train, func(i, j int) bool { return a.Train[i].Line < a.Train[j].Line }) {
		t.Errorf("sample not in file order: %v", ids(a.Train))
	}
	wantCounts(t, a, 4, 3, 3) // dev and test stay official

	// Different seeds must be able to give different samples (there are 10·3 possible ones).
	seen := map[string]bool{}
	for seed := 0; seed < 20; seed++ {
		ds := loadFixture(t, task, "kshot:2:"+strconv.Itoa(seed))
		seen[strings.Join(ids(ds.Train), ",")] = true
	}
	if len(seen) < 3 {
		t.Errorf("20 seeds gave only %d distinct samples", len(seen))
	}

	// K above a class's size takes the whole class and says so; a larger K with the same seed
	// keeps the smaller sample.
	big := loadFixture(t, task, "kshot:4:1")
	st = big.Stats.Files["train"]
	if want := map[string]int{"0": 4, "1": 3}; !reflect.DeepEqual(st.Labels, want) {
		t.Errorf("kshot:4 label counts = %v, want %v", st.Labels, want)
	}
	if want := map[string]int{"1": 3}; !reflect.DeepEqual(st.ShortClasses, want) || len(big.Stats.Notes) != 1 {
		t.Errorf("short classes = %v, notes %v; want {1: 3} and one note", st.ShortClasses, big.Stats.Notes)
	}
	inBig := map[string]bool{}
	for _, id := range ids(big.Train) {
		inBig[id] = true
	}
	for _, id := range ids(a.Train) {
		if !inBig[id] {
			t.Errorf("kshot:2:1 picked %s but kshot:4:1 did not", id)
		}
	}
}

func TestKShotOnFewCLUEOnlyTask(t *testing.T) {
	if _, err := Load(mustLookup(t, "bustm"), "testdata", Selection{Regime: RegimeKShot, K: 2, Seed: 1}); err == nil ||
		!strings.Contains(err.Error(), "FewCLUE-only") {
		t.Errorf("err = %v, want FewCLUE-only", err)
	}
}
