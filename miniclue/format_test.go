package miniclue

import (
	"encoding/json"
	"fmt"
	"index/suffixarray"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// kind names the JSON type a field must have.
type kind string

const (
	kStr  kind = "string"
	kNum  kind = "number"
	kList kind = "list"
	kObj  kind = "object"
)

func kindOf(v any) kind {
	switch v.(type) {
	case string:
		return kStr
	case json.Number:
		return kNum
	case []any:
		return kList
	case map[string]any:
		return kObj
	}
	return kind(fmt.Sprintf("%T", v))
}

// schema is the exact set of fields of a record.
type fieldSet map[string]kind

var ocnliFields = fieldSet{"level": kStr, "sentence1": kStr, "sentence2": kStr, "label": kStr,
	"label0": kStr, "label1": kStr, "label2": kStr, "label3": kStr, "label4": kStr, "genre": kStr, "prem_id": kStr, "id": kNum}

// officialSchemas: task → (labelled schema, test schema, FewCLUE labelled schema), as the
// official files have them. A task not listed here gets no field check; TestTaskNames still
// reads its files through package clue.
var officialSchemas = map[string][3]fieldSet{
	"afqmc": {{"sentence1": kStr, "sentence2": kStr, "label": kStr}, {"id": kNum, "sentence1": kStr, "sentence2": kStr}, nil},
	"tnews": {{"label": kStr, "label_desc": kStr, "sentence": kStr, "keywords": kStr}, {"id": kNum, "sentence": kStr, "keywords": kStr},
		{"label": kNum, "label_desc": kStr, "sentence": kStr, "keywords": kStr, "id": kNum}},
	"ocnli":       {ocnliFields, {"id": kNum, "sentence1": kStr, "sentence2": kStr}, ocnliFields},
	"cluewsc2020": {{"target": kObj, "idx": kNum, "label": kStr, "text": kStr}, {"target": kObj, "id": kNum, "text": kStr}, {"target": kObj, "idx": kNum, "label": kStr, "text": kStr}},
	"csl":         {{"id": kNum, "abst": kStr, "keyword": kList, "label": kStr}, {"id": kNum, "abst": kStr, "keyword": kList}, {"id": kNum, "abst": kStr, "keyword": kList, "label": kStr}},
	"cluener":     {{"text": kStr, "label": kObj}, {"id": kNum, "text": kStr}, {"text": kStr, "label": kObj}},
}

// officialLabels: the label strings of the official files, for the tasks whose records carry
// one label.
var officialLabels = map[string][]string{
	"afqmc": {"0", "1"}, "tnews": tnewsLabels, "ocnli": {"entailment", "neutral", "contradiction", "-"},
	"cluewsc2020": {"true", "false"}, "csl": {"0", "1"},
}

func checkSchema(t *testing.T, path string, rows []map[string]any, want fieldSet) {
	t.Helper()
	for i, row := range rows {
		var got []string
		for k := range row {
			got = append(got, k)
		}
		var exp []string
		for k := range want {
			exp = append(exp, k)
		}
		sort.Strings(got)
		sort.Strings(exp)
		if !slices.Equal(got, exp) {
			t.Fatalf("%s row %d: fields %v, want %v", path, i, got, exp)
		}
		for k, kd := range want {
			if g := kindOf(row[k]); g != kd {
				t.Fatalf("%s row %d: field %s is %s, want %s", path, i, k, g, kd)
			}
		}
	}
}

// allFiles lists (task, path, form) for every JSON-lines file of the fixture.
type fileCase struct {
	task, path string
	form       rowForm
}

func allFiles(dir string) []fileCase {
	var out []fileCase
	for _, tk := range tasks {
		if tk.documents != nil {
			continue // CMRC2018, C3 and CHID have layouts of their own; their _test.go files check them
		}
		out = append(out,
			fileCase{tk.name, taskPath(dir, tk.name, tk.trainFile), formLabelled},
			fileCase{tk.name, taskPath(dir, tk.name, "dev.json"), formLabelled},
			fileCase{tk.name, taskPath(dir, tk.name, "test.json"), formTest})
		if tk.few == "" {
			continue
		}
		for _, f := range []string{"train_few_all.json", "dev_few_all.json", "test_public.json"} {
			out = append(out, fileCase{tk.name, fewPath(dir, tk.few, f), formFew})
		}
		for k := range 5 {
			out = append(out, fileCase{tk.name, fewPath(dir, tk.few, fmt.Sprintf("train_%d.json", k)), formFew},
				fileCase{tk.name, fewPath(dir, tk.few, fmt.Sprintf("dev_%d.json", k)), formFew})
		}
		out = append(out, fileCase{tk.name, fewPath(dir, tk.few, "test.json"), formTest})
	}
	return out
}

func TestFilesHaveOfficialFieldsAndLabels(t *testing.T) {
	dir, _ := fixture(t)
	for _, fc := range allFiles(dir) {
		rows := readRows(t, fc.path)
		if len(rows) == 0 {
			t.Fatalf("%s is empty", fc.path)
		}
		if schemas, ok := officialSchemas[fc.task]; ok {
			checkSchema(t, fc.path, rows, schemas[fc.form])
		}
		labels, ok := officialLabels[fc.task]
		if fc.form == formTest || !ok {
			continue
		}
		for i, row := range rows {
			label := fmt.Sprint(row["label"])
			if !slices.Contains(labels, label) {
				t.Fatalf("%s row %d: label %q not in %v", fc.path, i, label, labels)
			}
			if fc.task == "tnews" && topicByCode(label).desc != str(t, row, "label_desc") {
				t.Fatalf("%s row %d: label %s with label_desc %s", fc.path, i, label, row["label_desc"])
			}
		}
	}
}

func TestTestFilesNumberRowsFromZero(t *testing.T) {
	dir, _ := fixture(t)
	for _, fc := range allFiles(dir) {
		if fc.form != formTest {
			continue
		}
		for i, row := range readRows(t, fc.path) {
			if id := num(t, row, "id"); id != i {
				t.Fatalf("%s row %d has id %d", fc.path, i, id)
			}
		}
	}
}

func TestWSCSpansIndexRunes(t *testing.T) {
	dir, _ := fixture(t)
	for _, fc := range allFiles(dir) {
		if fc.task != "cluewsc2020" {
			continue
		}
		for i, row := range readRows(t, fc.path) {
			text := []rune(str(t, row, "text"))
			tg := row["target"].(map[string]any)
			checkSchema(t, fc.path+" target", []map[string]any{tg},
				fieldSet{"span1_index": kNum, "span1_text": kStr, "span2_index": kNum, "span2_text": kStr})
			for _, sp := range []string{"span1", "span2"} {
				at, want := num(t, tg, sp+"_index"), str(t, tg, sp+"_text")
				end := at + len([]rune(want))
				if at < 0 || end > len(text) || string(text[at:end]) != want {
					t.Fatalf("%s row %d: %s %q not at rune %d of %q", fc.path, i, sp, want, at, string(text))
				}
			}
			if p := str(t, tg, "span2_text"); p != "他" && p != "她" && p != "它" {
				t.Fatalf("%s row %d: span2 %q is not a pronoun", fc.path, i, p)
			}
		}
	}
}

func TestCLUENEROffsetsAreInclusiveRunes(t *testing.T) {
	dir, _ := fixture(t)
	types := map[string]int{}
	for _, fc := range allFiles(dir) {
		if fc.task != "cluener" || fc.form == formTest {
			continue
		}
		for i, row := range readRows(t, fc.path) {
			text := []rune(str(t, row, "text"))
			for typ, ents := range row["label"].(map[string]any) {
				if !slices.Contains(nerTypes, typ) {
					t.Fatalf("%s row %d: unknown type %q", fc.path, i, typ)
				}
				types[typ]++
				for ent, spans := range ents.(map[string]any) {
					for _, s := range spans.([]any) {
						se := s.([]any)
						start, _ := se[0].(json.Number).Int64()
						end, _ := se[1].(json.Number).Int64()
						if len(se) != 2 || start < 0 || end < start || int(end) >= len(text) || string(text[start:end+1]) != ent {
							t.Fatalf("%s row %d: %s %q at %v does not match %q", fc.path, i, typ, ent, se, string(text))
						}
					}
				}
			}
		}
	}
	for _, typ := range nerTypes {
		if types[typ] < 50 {
			t.Errorf("type %s occurs in only %d sentences", typ, types[typ])
		}
	}
}

func TestOCNLIVotesAndDashRows(t *testing.T) {
	dir, _ := fixture(t)
	for _, file := range []string{"train.50k.json", "dev.json"} {
		path := taskPath(dir, "ocnli", file)
		dashes := 0
		for i, row := range readRows(t, path) {
			votes := map[string]int{}
			for k := range 5 {
				votes[str(t, row, fmt.Sprintf("label%d", k))]++
			}
			label := str(t, row, "label")
			top := 0
			for _, n := range votes {
				top = max(top, n)
			}
			switch {
			case label == "-":
				dashes++
				if top >= 3 {
					t.Fatalf("%s row %d: label - but votes %v have a majority", path, i, votes)
				}
			case votes[label] < 3:
				t.Fatalf("%s row %d: label %s without a majority in %v", path, i, label, votes)
			}
		}
		if dashes == 0 {
			t.Errorf("%s has no rows labelled -", path)
		}
	}
}

func TestLabelBalance(t *testing.T) {
	dir, _ := fixture(t)
	bounds := map[string][2]float64{"afqmc": {0.4, 0.6}, "csl": {0.4, 0.6}, "cluewsc2020": {0.4, 0.6}, "ocnli": {0.25, 0.42}, "tnews": {0.045, 0.09}}
	for task, b := range bounds {
		tk := taskByName(task)
		for _, file := range []string{tk.trainFile, "dev.json"} {
			counts := map[string]int{}
			n := 0
			for _, row := range readRows(t, taskPath(dir, task, file)) {
				if l := fmt.Sprint(row["label"]); l != "-" {
					counts[l]++
					n++
				}
			}
			for _, l := range tk.labels {
				if share := float64(counts[l]) / float64(n); share < b[0] || share > b[1] {
					t.Errorf("%s %s: label %s has share %s, want %s..%s", task, file, l, pct(share), pct(b[0]), pct(b[1]))
				}
			}
		}
	}
}

func TestFewCLUESizes(t *testing.T) {
	dir, _ := fixture(t)
	for _, tk := range tasks {
		if tk.few == "" {
			continue
		}
		var allTrain, allDev []byte
		for k := range 5 {
			for _, part := range []string{"train", "dev"} {
				path := fewPath(dir, tk.few, fmt.Sprintf("%s_%d.json", part, k))
				rows := readRows(t, path)
				if len(rows) != tk.fewSize {
					t.Errorf("%s: %d rows, want %d", path, len(rows), tk.fewSize)
				}
				if tk.name == "tnews" {
					per := map[string]int{}
					for _, r := range rows {
						per[fmt.Sprint(r["label"])]++
					}
					for _, l := range tk.labels {
						if per[l] != 16 {
							t.Errorf("%s: class %s has %d rows, want 16", path, l, per[l])
						}
					}
				}
				b, _ := os.ReadFile(path)
				if part == "train" {
					allTrain = append(allTrain, b...)
				} else {
					allDev = append(allDev, b...)
				}
			}
		}
		for name, want := range map[string][]byte{"train_few_all.json": allTrain, "dev_few_all.json": allDev} {
			got, err := os.ReadFile(fewPath(dir, tk.few, name))
			if err != nil || string(got) != string(want) {
				t.Errorf("%s/%s is not the union of its five folds (err %v)", tk.few, name, err)
			}
		}
		testN := len(readRows(t, taskPath(dir, tk.name, "test.json")))
		for _, f := range []string{"test_public.json", "test.json"} {
			if n := len(readRows(t, fewPath(dir, tk.few, f))); n != testN {
				t.Errorf("%s/%s: %d rows, want %d", tk.few, f, n, testN)
			}
		}
	}
	// Exactly the tasks that name a FewCLUE folder have one.
	entries, err := os.ReadDir(filepath.Join(dir, fewDir))
	if err != nil {
		t.Fatal(err)
	}
	var folders, want []string
	for _, e := range entries {
		folders = append(folders, e.Name())
	}
	for _, tk := range tasks {
		if tk.few != "" {
			want = append(want, tk.few)
		}
	}
	sort.Strings(want)
	if !slices.Equal(folders, want) {
		t.Errorf("FewCLUE folders %v, want %v", folders, want)
	}
}

// primaryTexts returns the text that identifies each row: what must not leak.
func primaryTexts(t *testing.T, task string, rows []map[string]any) []string {
	var out []string
	for _, row := range rows {
		switch task {
		case "afqmc":
			out = append(out, str(t, row, "sentence1"), str(t, row, "sentence2"))
		case "tnews":
			out = append(out, str(t, row, "sentence"))
		case "ocnli":
			out = append(out, str(t, row, "sentence1"))
		case "csl":
			out = append(out, str(t, row, "abst"))
		default:
			out = append(out, str(t, row, "text"))
		}
	}
	return out
}

func allTexts(row map[string]any) []string {
	var out []string
	for _, k := range []string{"sentence", "sentence1", "sentence2", "text", "abst"} {
		if s, ok := row[k].(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func TestNoEvaluationTextInTrainingOrCorpus(t *testing.T) {
	dir, _ := fixture(t)
	corpus, err := os.ReadFile(dir + "/" + corpusName)
	if err != nil {
		t.Fatal(err)
	}
	corpusIdx := suffixarray.New(corpus)
	for _, tk := range tasks {
		var train, eval []string
		var evalAll []string
		for _, fc := range allFiles(dir) {
			if fc.task != tk.name {
				continue
			}
			rows := readRows(t, fc.path)
			isTrain := strings.Contains(fc.path, "train")
			if isTrain {
				train = append(train, primaryTexts(t, tk.name, rows)...)
				continue
			}
			eval = append(eval, primaryTexts(t, tk.name, rows)...)
			for _, r := range rows {
				evalAll = append(evalAll, allTexts(r)...)
			}
		}
		// Suffix arrays answer thousands of substring queries over megabytes quickly, and are
		// a different mechanism from the generator's own filter, which is what is under test.
		trainIdx := suffixarray.New([]byte(strings.Join(train, "\n")))
		for _, e := range eval {
			if len(trainIdx.Lookup([]byte(e), 1)) > 0 {
				t.Errorf("%s: evaluation text %q occurs in a training file", tk.name, e)
			}
		}
		for _, e := range evalAll {
			if len(corpusIdx.Lookup([]byte(e), 1)) > 0 {
				t.Errorf("%s: evaluation text %q occurs in corpus.txt", tk.name, e)
			}
		}
	}
}
