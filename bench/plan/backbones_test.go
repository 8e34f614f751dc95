package plan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Cells of a config with one backbone keep the ids, keys and glob names they had before a
// config could name several: results directories and baselines made then stay valid. The
// values were computed by the build before backbones existed.
func TestSingleBackboneCellsPinned(t *testing.T) {
	reg := testReg
	reg.BuiltinBackbone, reg.BuiltinData = "pretrain-v1", "data-v1"
	type pin struct{ key, glob, id string }
	for _, tc := range []struct {
		name, yaml string
		want       []pin
	}{
		{"builtin", goodYAML, []pin{
			{"afqmc__fine-tuning__few__s1", "afqmc/fine-tuning/few/s1", "9beecf18a8e4"},
			{"afqmc__fine-tuning__few__s2", "afqmc/fine-tuning/few/s2", "41a07d614c03"},
			{"afqmc__fine-tuning__full__s1", "afqmc/fine-tuning/full/s1", "44a6bc373bce"},
			{"afqmc__fine-tuning__full__s2", "afqmc/fine-tuning/full/s2", "a8d0385cf3ee"},
			{"afqmc__fl-tuning__few__s1", "afqmc/fl-tuning/few/s1", "b2abdb262b75"},
			{"afqmc__fl-tuning__few__s2", "afqmc/fl-tuning/few/s2", "6fc4687eb281"},
			{"afqmc__fl-tuning__full__s1", "afqmc/fl-tuning/full/s1", "269017a5edd4"},
			{"afqmc__fl-tuning__full__s2", "afqmc/fl-tuning/full/s2", "a2dfbd660a77"},
			{"tnews__fine-tuning__full__s1", "tnews/fine-tuning/full/s1", "623cfde82d22"},
			{"tnews__fine-tuning__full__s2", "tnews/fine-tuning/full/s2", "ed694ce87c59"},
			{"tnews__fl-tuning__full__s1", "tnews/fl-tuning/full/s1", "8e027b4a03fa"},
			{"tnews__fl-tuning__full__s2", "tnews/fl-tuning/full/s2", "29f30e1cecf8"},
		}},
		{"directory", "backbone: models/bert\ndata_dir: data\ntasks: {afqmc: {}}\nmethods: {fine-tuning: {}, fl-tuning: {options: {units: 8}}}\nseeds: [1, 2]\n", []pin{
			{"afqmc__fine-tuning__full__s1", "afqmc/fine-tuning/full/s1", "6f64eb458871"},
			{"afqmc__fine-tuning__full__s2", "afqmc/fine-tuning/full/s2", "363cc3778618"},
			{"afqmc__fl-tuning__full__s1", "afqmc/fl-tuning/full/s1", "85ce1f6bc1ac"},
			{"afqmc__fl-tuning__full__s2", "afqmc/fl-tuning/full/s2", "37cbc1d492eb"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig("/x/experiments.yaml", []byte(tc.yaml), reg)
			if err != nil {
				t.Fatal(err)
			}
			cells, err := cfg.Expand()
			if err != nil {
				t.Fatal(err)
			}
			var got []pin
			for _, c := range cells {
				got = append(got, pin{c.Key(), c.globName(), c.ID})
				if c.Name()+"/s"+itoa(c.Seed) != c.globName() || c.BackboneName != "" {
					t.Errorf("%s: name %q, backbone name %q", c.Key(), c.Name(), c.BackboneName)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("cells changed:\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

const multiYAML = `
backbones:
  roberta: builtin
  nezha: models/nezha
seeds: [1, 2]
tasks: {afqmc: {}, tnews: {}}
methods: {fine-tuning: {}, fl-tuning: {}}
`

// Several backbones are an axis of the matrix: each cell once per backbone, named and keyed
// with the backbone's name in front, with the backbone's directory recorded and hashed.
func TestBackbonesExpand(t *testing.T) {
	reg := testReg
	reg.BuiltinBackbone = "pretrain-v1"
	cfg, err := ParseConfig("/x/experiments.yaml", []byte(multiYAML), reg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Backbone != "" || cfg.Backbones["nezha"] != "/x/models/nezha" || cfg.Backbones["roberta"] != "builtin" {
		t.Errorf("backbone %q, backbones %v", cfg.Backbone, cfg.Backbones)
	}
	if got := cfg.BackboneNames(); !slices.Equal(got, []string{"nezha", "roberta"}) {
		t.Errorf("names %v", got)
	}
	cells, err := cfg.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 16 {
		t.Fatalf("%d cells, want 2 backbones × 2 tasks × 2 methods × 2 seeds", len(cells))
	}
	first, last := cells[0], cells[15]
	if first.Key() != "nezha__afqmc__fine-tuning__full__s1" || first.Name() != "nezha/afqmc/fine-tuning/full" || first.globName() != "nezha/afqmc/fine-tuning/full/s1" {
		t.Errorf("first cell: key %s name %s glob %s", first.Key(), first.Name(), first.globName())
	}
	if first.Backbone != "models/nezha" || last.Backbone != "builtin (pretrain-v1)" || last.BackboneName != "roberta" {
		t.Errorf("recorded backbones %q (%s), %q (%s)", first.Backbone, first.BackboneName, last.Backbone, last.BackboneName)
	}
	ids, keys := map[string]bool{}, map[string]bool{}
	for _, c := range cells {
		if ids[c.ID] || keys[c.Key()] {
			t.Errorf("%s: id %s or key repeated", c.Key(), c.ID)
		}
		ids[c.ID], keys[c.Key()] = true, true
		if c.ContentID() != c.ID {
			t.Errorf("%s: id does not hash the contents", c.Key())
		}
	}
	// The name is hashed: two backbones on the same directory still make distinct cells.
	same := strings.Replace(multiYAML, "models/nezha", "builtin", 1)
	cfg2, err := ParseConfig("/x/experiments.yaml", []byte(same), reg)
	if err != nil {
		t.Fatal(err)
	}
	cells2, _ := cfg2.Expand()
	if cells2[0].ID == cells2[8].ID || cells2[0].Backbone != cells2[8].Backbone {
		t.Errorf("same directory under two names: ids %s %s", cells2[0].ID, cells2[8].ID)
	}
	// A cell of a one-backbone config and the same cell under a named backbone differ.
	one, err := ParseConfig("/x/experiments.yaml", []byte(strings.Replace(multiYAML, "backbones:\n  roberta: builtin\n  nezha: models/nezha", "backbone: builtin", 1)), reg)
	if err != nil {
		t.Fatal(err)
	}
	oneCells, _ := one.Expand()
	if oneCells[0].Key() != "afqmc__fine-tuning__full__s1" || oneCells[0].ID == cells[8].ID {
		t.Errorf("one backbone: key %s id %s; named: id %s", oneCells[0].Key(), oneCells[0].ID, cells[8].ID)
	}
}

// Globs of a config with several backbones have the backbone's name as their first part.
func TestBackbonesGlobs(t *testing.T) {
	cfg, err := ParseConfig("/x/experiments.yaml", []byte(multiYAML), testReg)
	if err != nil {
		t.Fatal(err)
	}
	cells, _ := cfg.Expand()
	for _, tc := range []struct {
		globs   []string
		want    int
		wantErr string
	}{
		{[]string{"nezha"}, 8, ""},
		{[]string{"nezha/*/*/*/s1"}, 4, ""},
		{[]string{"*/afqmc"}, 8, ""},
		{[]string{"roberta/tnews/fl-tuning/full/s2"}, 1, ""},
		{[]string{"nezha/*/*/*/*/*"}, 0, `6 parts; cells are named backbone/task/method/setting/sSEED`},
		{[]string{"afqmc"}, 0, `--only "afqmc" matches no cell (cells are named backbone/task/method/setting/sSEED, e.g. nezha/afqmc/fine-tuning/full/s1`},
	} {
		got, err := Filter(cells, tc.globs)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: error %v, want %q", tc.globs, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(got) != tc.want {
			t.Errorf("%v: %d cells (%v), want %d", tc.globs, len(got), err, tc.want)
		}
	}
	for _, tc := range []struct {
		rules string
		want  int
	}{
		{"exclude: [nezha]", 8},
		{"include: [\"*/afqmc/fl-tuning\"]", 4},
		{"include: [roberta]\nexclude: [\"*/*/*/*/s2\"]", 4},
	} {
		cfg, err := ParseConfig("x.yaml", []byte(multiYAML+tc.rules+"\n"), testReg)
		if err != nil {
			t.Fatalf("%s: %v", tc.rules, err)
		}
		cells, _ := cfg.Expand()
		if len(cells) != tc.want {
			t.Errorf("%s: %d cells, want %d", tc.rules, len(cells), tc.want)
		}
	}
}

func TestBackbonesErrors(t *testing.T) {
	const base = "tasks: {afqmc: {}}\nmethods: {fine-tuning: {}}\n"
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"both", base + "backbone: builtin\nbackbones:\n  a: builtin\n", "x.yaml:4: backbones: backbone is set too (line 3)"},
		{"both, backbone after", base + "backbones: {a: builtin}\nbackbone: builtin\n", "x.yaml:3: backbones: backbone is set too (line 4)"},
		{"empty map", base + "backbones: {}\n", "x.yaml:3: backbones is empty"},
		{"null", base + "backbones:\n", "x.yaml:3: backbones is empty"},
		{"a list", base + "backbones: [a, b]\n", "x.yaml:3: cannot unmarshal !!seq into map[string]string"},
		{"upper case", base + "backbones:\n  roberta: builtin\n  NeZha: builtin\n", `x.yaml:5: backbones: name "NeZha": want lower-case letters`},
		{"slash", base + "backbones:\n  a/b: builtin\n", `x.yaml:4: backbones: name "a/b"`},
		{"leading dot", base + "backbones:\n  .hidden: builtin\n", `x.yaml:4: backbones: name ".hidden"`},
		{"glob character", base + "backbones:\n  \"b*\": builtin\n", `x.yaml:4: backbones: name "b*"`},
		{"empty directory", base + "backbones:\n  a: builtin\n  b: \"\"\n", "x.yaml:5: backbones.b: no directory"},
		{"null directory", base + "backbones:\n  a:\n", "x.yaml:4: backbones.a: no directory"},
		{"unset variable", base + "backbones:\n  a: builtin\n  b: ${CLUE_BENCH_NOT_SET}/nezha\n", "x.yaml:5: backbones.b: environment variable CLUE_BENCH_NOT_SET is not set"},
		{"directory not a string", base + "backbones:\n  a: {dir: x}\n", "x.yaml:4: cannot unmarshal !!map into string"},
		{"repeated name", base + "backbones:\n  a: builtin\n  a: x\n", `x.yaml:5: mapping key "a" already defined at line 4`},
		{"four-part glob names a task", base + "backbones: {a: builtin}\ninclude: [afqmc]\n", "x.yaml:4: include and exclude leave no cells"},
		{"too many parts", base + "backbones: {a: builtin}\nexclude: [\"a/b/c/d/e/f\"]\n", `x.yaml:4: exclude[0] "a/b/c/d/e/f": 6 parts; cells are named backbone/task/method/setting/sSEED`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("x.yaml", []byte(tc.yaml), testReg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// Good names and values.
	for _, yml := range []string{
		base + "backbones: {roberta-wwm: builtin}\n",
		base + "backbones:\n  nezha.v2: /m/nezha\n  r_2: ${CLUE_BENCH_NOT_SET:-builtin}\n  \"0\": m\n",
	} {
		if _, err := ParseConfig("x.yaml", []byte(yml), testReg); err != nil {
			t.Errorf("%q: %v", yml, err)
		}
	}
}

// A relative backbone directory is recorded as written, so ids do not depend on the working
// directory, and resolved against the config's directory; BackbonePos names its line.
func TestBackbonesPaths(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "folder")
	if err := os.MkdirAll(filepath.Join(dir, "nezha"), 0o755); err != nil {
		t.Fatal(err)
	}
	yml := "tasks: {afqmc: {}}\nmethods: {fine-tuning: {}}\nbackbones:\n  nezha: ./nezha/\n  roberta: builtin\n"
	p := filepath.Join(dir, "e.yaml")
	if err := os.WriteFile(p, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	var ids [][]string
	for _, cwd := range []string{dir, root} {
		t.Chdir(cwd)
		rel, _ := filepath.Rel(cwd, p)
		cfg, err := LoadConfig(rel, testReg)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := cfg.BackboneDir("nezha")
		if st, err := os.Stat(d); !ok || err != nil || !st.IsDir() {
			t.Fatalf("from %s: nezha resolves to %q (%v)", cwd, d, err)
		}
		if pos := cfg.BackbonePos("nezha"); pos != rel+":4" {
			t.Errorf("position %q", pos)
		}
		if _, ok := cfg.BackboneDir(""); ok {
			t.Error("a config of several backbones has a single one")
		}
		cells, _ := cfg.Expand()
		if cells[0].Backbone != "nezha" {
			t.Errorf("recorded %q", cells[0].Backbone)
		}
		ids = append(ids, cellIDs(cells))
	}
	if !slices.Equal(ids[0], ids[1]) {
		t.Errorf("ids depend on the working directory: %v %v", ids[0], ids[1])
	}
}

// A frozen plan carries the directories of the backbones its cells use, absolute, and
// rejects cells whose backbone it has no directory for.
func TestFreezeBackbones(t *testing.T) {
	dir := t.TempDir()
	// models/nezha must exist to be a directory: an owner/name value that is no directory
	// names a hub model, which a plan carries by name (TestFreezeHubBackbones).
	if err := os.MkdirAll(filepath.Join(dir, "models", "nezha"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(filepath.Join(dir, "e.yaml"), []byte(multiYAML), testReg)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := cfg.Expand()
	cells, err := Filter(all, []string{"nezha", "roberta/tnews"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Freeze(cfg, cells, "")
	if err != nil {
		t.Fatal(err)
	}
	if f.Backbone != "" || len(f.Backbones) != 2 || f.Backbones["nezha"] != filepath.Join(dir, "models", "nezha") || f.Backbones["roberta"] != "builtin" {
		t.Errorf("backbone %q, backbones %v", f.Backbone, f.Backbones)
	}
	p := filepath.Join(dir, "plan.json")
	if err := WriteFrozen(p, f); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFrozen(p)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := got.BackboneDir(got.Cells[0]); err != nil || d != f.Backbones["nezha"] {
		t.Errorf("cell 0 backbone %q, %v", d, err)
	}
	// Only what the cells use.
	onlyNezha, _ := Filter(all, []string{"nezha"})
	if g, _ := Freeze(cfg, onlyNezha, ""); len(g.Backbones) != 1 {
		t.Errorf("backbones of nezha's cells alone: %v", g.Backbones)
	}
	b, _ := os.ReadFile(p)
	for _, tc := range []struct{ name, from, to, want string }{
		{"both", `"backbones": {`, `"backbone": "builtin", "backbones": {`, "fields backbone and backbones are both set"},
		{"empty", `"nezha": "` + f.Backbones["nezha"] + `",`, ``, `backbone "nezha" is not in field backbones`},
		{"empty dir", `"roberta": "builtin"`, `"roberta": ""`, "field backbones: roberta is empty"},
		{"bad name", `"roberta": "builtin"`, `"roberta": "builtin", "../up": "builtin"`, `field backbones: name "../up"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(string(b), tc.from, tc.to, 1)
			if body == string(b) {
				t.Fatalf("edit %q not applied", tc.from)
			}
			q := filepath.Join(t.TempDir(), "plan.json")
			if err := os.WriteFile(q, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadFrozen(q); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	// A cell that names a backbone in a plan of one backbone.
	one := Frozen{Schema: FrozenSchema, Backbone: "builtin", DataDir: "builtin", Out: "/r", Device: "cpu", Cells: []Cell{cells[0]}}
	ob, _ := json.Marshal(one)
	q := filepath.Join(dir, "one.json")
	if err := os.WriteFile(q, ob, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFrozen(q); err == nil || !strings.Contains(err.Error(), `names backbone "nezha" but the plan has no field backbones`) {
		t.Errorf("error %v", err)
	}
	// No backbone at all.
	none := one
	none.Backbone = ""
	nb, _ := json.Marshal(none)
	if err := os.WriteFile(q, nb, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFrozen(q); err == nil || !strings.Contains(err.Error(), "field backbone is empty") {
		t.Errorf("error %v", err)
	}
}
