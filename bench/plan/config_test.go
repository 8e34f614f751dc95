package plan

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var testReg = Registry{
	Tasks:   []string{"afqmc", "tnews", "wsc"},
	Methods: []string{"fine-tuning", "fl-tuning"},
	ResolveOptions: func(m string, n *yaml.Node) (any, error) {
		opts := struct {
			Units int     `yaml:"units" json:"units"`
			Scale float64 `yaml:"scale" json:"scale,omitempty"`
		}{Units: 160}
		if n.Kind == 0 {
			return opts, nil
		}
		if m != "fl-tuning" {
			return nil, errors.New("takes no options")
		}
		return opts, n.Decode(&opts)
	},
	CheckSplit: func(s string) error {
		if s == "full" || strings.HasPrefix(s, "few:") {
			return nil
		}
		return errors.New("bad split " + s)
	},
	CheckDevice: func(d string) error {
		if d == "cpu" || d == "auto" {
			return nil
		}
		return errors.New("want auto or cpu")
	},
}

const goodYAML = `
backbone: ${TEST_BACKBONE:-builtin}
out: res
seeds: [1, 2]
defaults:
  epochs: 3
tasks:
  afqmc:
    lr: 2.0e-4
    settings:
      few: {epochs: 8, lr: 5.0e-4}
    methods:
      fl-tuning: {lr: 1.0e-3}
  tnews:
    max_len: 64
methods:
  fine-tuning: {lr: 2.0e-5}
  fl-tuning:
    options: {units: 32}
settings:
  full: {split: full}
  few: {split: "few:all", epochs: 20}
exclude: ["tnews/*/few"]
`

func TestParseConfigResolves(t *testing.T) {
	cfg, err := ParseConfig("/x/experiments.yaml", []byte(goodYAML), testReg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Out != "/x/res" || cfg.Backbone != "builtin" || cfg.DataDir != "builtin" {
		t.Errorf("paths: out %q backbone %q data %q", cfg.Out, cfg.Backbone, cfg.DataDir)
	}
	tests := []struct {
		task, method, setting string
		lr, epochs            float64
		maxLen                int
	}{
		{"afqmc", "fine-tuning", "full", 2e-5, 3, 128}, // method beats task
		{"afqmc", "fl-tuning", "full", 1e-3, 3, 128},   // task's method entry beats both
		{"afqmc", "fl-tuning", "few", 1e-3, 8, 128},    // task's setting entry beats the setting; its method entry beats that
		{"afqmc", "fine-tuning", "few", 5e-4, 8, 128},  // task's setting entry beats the method
		{"tnews", "fl-tuning", "few", 2e-4, 20, 64},    // setting beats defaults
		{"tnews", "fl-tuning", "full", 2e-4, 3, 64},    // built-in lr, task max_len
	}
	for _, tc := range tests {
		h := cfg.Hyper(tc.task, tc.method, tc.setting)
		if h.LR != tc.lr || h.Epochs != tc.epochs || h.MaxLen != tc.maxLen {
			t.Errorf("%s/%s/%s: lr %g epochs %g max_len %d; want %g %g %d", tc.task, tc.method, tc.setting, h.LR, h.Epochs, h.MaxLen, tc.lr, tc.epochs, tc.maxLen)
		}
		if h.EvalBatchSize != 2*h.BatchSize {
			t.Errorf("eval batch size %d", h.EvalBatchSize)
		}
	}
	cells, err := cfg.Expand()
	if err != nil {
		t.Fatal(err)
	}
	// afqmc: 2 methods × 2 settings × 2 seeds; tnews: 2 methods × full × 2 seeds.
	if len(cells) != 12 {
		t.Fatalf("%d cells, want 12", len(cells))
	}
	ids := map[string]bool{}
	for _, c := range cells {
		if ids[c.ID] {
			t.Errorf("duplicate id %s", c.ID)
		}
		ids[c.ID] = true
		if c.Task == "tnews" && c.Setting == "few" {
			t.Errorf("excluded cell present: %s", c.Name())
		}
	}
	if string(cells[4].MethodOptions) != `{"units":32}` || cells[4].Method != "fl-tuning" {
		t.Errorf("cell 4 = %s options %s", cells[4].Name(), cells[4].MethodOptions)
	}
	// Same config → same ids; a changed hyper-parameter → a changed id for those cells only.
	cfg2, _ := ParseConfig("/x/experiments.yaml", []byte(strings.Replace(goodYAML, "max_len: 64", "max_len: 96", 1)), testReg)
	cells2, _ := cfg2.Expand()
	for i := range cells {
		same := cells[i].ID == cells2[i].ID
		if same == (cells[i].Task == "tnews") {
			t.Errorf("%s: id stable=%v after changing tnews max_len", cells[i].Name(), same)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	const base = "tasks: {afqmc: {}}\nmethods: {fine-tuning: {}}\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "tasks: {afqmc: {}}\nmethods: {fine-tuning: {}}\nbogus: 1\n", "x.yaml:3: field bogus not found"},
		{"unknown task", "methods: {fine-tuning: {}}\ntasks:\n  afqmc: {}\n  nope: {}\n", "x.yaml:4: unknown task \"nope\""},
		{"unknown method", "tasks: {afqmc: {}}\nmethods:\n  dora: {}\n", "x.yaml:3: unknown method \"dora\""},
		{"wrong type", "tasks:\n  afqmc: {lr: fast}\nmethods: {fine-tuning: {}}\n", "x.yaml:2: cannot unmarshal !!str `fast` into float64"},
		{"bad value", "tasks:\n  afqmc: {batch_size: 0}\nmethods: {fine-tuning: {}}\n", "x.yaml:2: afqmc/fine-tuning/full: batch_size must be at least 1"},
		{"unknown setting override", "tasks:\n  afqmc:\n    settings: {fewshot: {epochs: 2}}\nmethods: {fine-tuning: {}}\n", "x.yaml:2: task afqmc: override for setting \"fewshot\", which is not in settings"},
		{"bad options", "tasks: {afqmc: {}}\nmethods:\n  fine-tuning:\n    options: {units: 3}\n", "x.yaml:4: method fine-tuning options: takes no options"},
		{"bad split", "tasks: {afqmc: {}}\nmethods: {fine-tuning: {}}\nsettings:\n  odd: {split: half}\n", "x.yaml:4: setting odd: bad split half"},
		{"unset var", "backbone: ${CLUE_BENCH_NOT_SET}\ntasks: {afqmc: {}}\nmethods: {fine-tuning: {}}\n", "x.yaml:1: backbone: environment variable CLUE_BENCH_NOT_SET is not set"},
		{"override of absent method", "tasks:\n  afqmc: {methods: {fl-tuning: {}}}\nmethods: {fine-tuning: {}}\n", "x.yaml:2: task afqmc: override for method \"fl-tuning\""},
		{"no tasks", "methods: {fine-tuning: {}}\n", "no tasks"},
		// Non-finite numbers, at every level that takes hyper-parameters.
		{"inf lr in defaults", base + "defaults:\n  lr: .inf\n", "x.yaml:4: defaults.lr must be a finite number, got +Inf"},
		{"inf clip in a task", "tasks:\n  afqmc: {clip: .inf}\nmethods: {fine-tuning: {}}\n", "x.yaml:2: tasks.afqmc.clip must be a finite number, got +Inf"},
		{"inf weight_decay in a method", "tasks: {afqmc: {}}\nmethods:\n  fine-tuning:\n    weight_decay: .Inf\n", "x.yaml:4: methods.fine-tuning.weight_decay must be a finite number, got +Inf"},
		{"nan lr in a setting", base + "settings:\n  full: {lr: .nan}\n", "x.yaml:4: settings.full.lr must be a finite number, got NaN"},
		{"-inf epochs", base + "defaults: {epochs: -.inf}\n", "x.yaml:3: defaults.epochs must be a finite number, got -Inf"},
		{"nan warmup in a task's method", "tasks:\n  afqmc:\n    methods:\n      fine-tuning: {warmup: .NaN}\nmethods: {fine-tuning: {}}\n", "x.yaml:4: tasks.afqmc.methods.fine-tuning.warmup must be a finite number, got NaN"},
		{"-inf head_dropout in a task's setting", "tasks:\n  afqmc:\n    settings:\n      full: {head_dropout: -.inf}\nmethods: {fine-tuning: {}}\nsettings: {full: {}}\n", "x.yaml:4: tasks.afqmc.settings.full.head_dropout must be a finite number, got -Inf"},
		{"inf in method options", "tasks: {afqmc: {}}\nmethods:\n  fl-tuning:\n    options:\n      scale: .inf\n", "x.yaml:5: methods.fl-tuning.options.scale must be a finite number, got +Inf"},
		// Fractions where an integer belongs: yaml.v3 would truncate them.
		{"fractional max_len", "tasks:\n  afqmc: {max_len: 64.5}\nmethods: {fine-tuning: {}}\n", "x.yaml:2: tasks.afqmc.max_len must be an integer, got 64.5"},
		{"fractional threads", base + "threads: 0.5\n", "x.yaml:3: threads must be an integer, got 0.5"},
		{"negative workers", base + "workers: -2\n", "x.yaml:3: workers must not be negative"},
		{"fractional workers", base + "workers: 1.5\n", "x.yaml:3: workers must be an integer, got 1.5"},
		{"fractional option", "tasks: {afqmc: {}}\nmethods:\n  fl-tuning:\n    options: {units: 27.5}\n", "x.yaml:4: methods.fl-tuning.options.units must be an integer, got 27.5"},
		{"fraction through a merge key", "tasks:\n  afqmc:\n    <<: {max_len: 64.5}\nmethods: {fine-tuning: {}}\n", "x.yaml:3: tasks.afqmc.max_len must be an integer, got 64.5"},
		{"inf through an anchored mapping", "defaults: &d {clip: 1.0}\ntasks:\n  afqmc: {<<: *d, clip: .inf}\nmethods: {fine-tuning: {}}\n", "x.yaml:3: tasks.afqmc.clip must be a finite number, got +Inf"},
		// Seeds.
		{"empty seeds", base + "seeds: []\n", "x.yaml:3: seeds is empty"},
		{"null seeds", base + "seeds:\n", "x.yaml:3: seeds is empty"},
		{"duplicate seed", base + "seeds:\n  - 1\n  - 2\n  - 1\n", "x.yaml:6: seeds[2]: duplicate seed 1 (also seeds[0])"},
		{"fractional seed", base + "seeds: [1, 1.5]\n", "x.yaml:3: seeds[1] must be an integer, got 1.5"},
		{"seed not a number", base + "seeds: [one]\n", "x.yaml:3: cannot unmarshal !!str `one` into int64"},
		// Globs.
		{"bad include glob", base + "include:\n  - afqmc/*/*\n  - \"[\"\n", "x.yaml:5: include[1] \"[\": syntax error in pattern"},
		{"bad exclude glob", base + "exclude: [\"a/b/c/d/e\"]\n", "x.yaml:3: exclude[0] \"a/b/c/d/e\": 5 parts"},
		{"empty exclude glob", base + "exclude: [\"\"]\n", "x.yaml:3: exclude[0] \"\": empty glob"},
		{"exclude everything", base + "exclude: [\"*\"]\n", "x.yaml:3: include and exclude leave no cells"},
		{"include nothing", base + "include: [\"tnews\"]\n", "x.yaml:3: include and exclude leave no cells"},
		{"bad device", base + "device: tpu\n", "x.yaml:3: device: want auto or cpu"},
		// The file as a whole.
		{"empty file", "", "x.yaml: empty config"},
		{"comments only", "# nothing yet\n", "x.yaml: empty config"},
		{"null document", "~\n", "x.yaml: empty config"},
		{"a list", "- afqmc\n", "x.yaml:1: want a mapping of keys"},
		{"two documents", base + "---\ntasks: {tnews: {}}\n", "x.yaml:4: a second YAML document"},
		{"syntax error", "tasks: {afqmc: {}\nmethods: {fine-tuning: {}}\n", "x.yaml:1: yaml: did not find expected ',' or '}'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("x.yaml", []byte(tc.yaml), testReg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestShardAndFilter(t *testing.T) {
	cfg, err := ParseConfig(filepath.Join(t.TempDir(), "e.yaml"), []byte(goodYAML), testReg)
	if err != nil {
		t.Fatal(err)
	}
	cells, _ := cfg.Expand()
	seen := map[string]int{}
	for i := 0; i < 3; i++ {
		for _, c := range Shard(cells, i, 3) {
			seen[c.ID]++
		}
	}
	if len(seen) != len(cells) {
		t.Fatalf("shards cover %d of %d cells", len(seen), len(cells))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("cell %s in %d shards", id, n)
		}
	}
	if _, _, err := ParseShard("0/3"); err == nil {
		t.Error("0/3 accepted")
	}
	if i, n, err := ParseShard("2/3"); err != nil || i != 1 || n != 3 {
		t.Errorf("2/3 → %d %d %v", i, n, err)
	}
	got, _ := Filter(cells, []string{"afqmc/fl-*/*"})
	if len(got) != 4 {
		t.Errorf("filter kept %d, want 4", len(got))
	}
}

// A cell on the built-in backbone or data records what "builtin" stands for, so that a new
// generator version or pre-training spec makes old results stale; cells on directories do
// not change with it.
func TestBuiltinIdentityInCellID(t *testing.T) {
	ids := func(yml string, reg Registry) []string {
		t.Helper()
		cfg, err := ParseConfig("/x/experiments.yaml", []byte(yml), reg)
		if err != nil {
			t.Fatal(err)
		}
		cells, err := cfg.Expand()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cells {
			out = append(out, c.ID)
		}
		return out
	}
	v1, v2, v3 := testReg, testReg, testReg
	v1.BuiltinBackbone, v1.BuiltinData = "bert a", "data 1"
	v2.BuiltinBackbone, v2.BuiltinData = "bert a", "data 2"
	v3.BuiltinBackbone, v3.BuiltinData = "bert b", "data 1"
	builtinYAML := goodYAML // backbone defaults to builtin; data_dir is absent, so builtin too
	a, b, c := ids(builtinYAML, v1), ids(builtinYAML, v2), ids(builtinYAML, v3)
	for i := range a {
		if a[i] == b[i] || a[i] == c[i] {
			t.Fatalf("cell %d: ids %s %s %s; want each built-in identity to give its own", i, a[i], b[i], c[i])
		}
	}
	dirs := strings.Replace(goodYAML, "backbone: ${TEST_BACKBONE:-builtin}", "backbone: /models/bert\ndata_dir: /data/clue", 1)
	if d1, d2 := ids(dirs, v1), ids(dirs, v2); !slices.Equal(d1, d2) {
		t.Fatalf("cells on directories changed ids with the built-in identity: %v vs %v", d1, d2)
	}
}

func TestSeeds(t *testing.T) {
	const base = "tasks: {afqmc: {}}\nmethods: {fine-tuning: {}}\n"
	for _, tc := range []struct {
		yaml string
		want []int64
	}{
		{base, []int64{1}}, // no seeds key: one seed, 1
		{base + "seeds: [3, 1]\n", []int64{3, 1}},
		{base + "seeds: [2.0, 1e1]\n", []int64{2, 10}}, // whole numbers written as floats
	} {
		cfg, err := ParseConfig("x.yaml", []byte(tc.yaml), testReg)
		if err != nil {
			t.Fatalf("%q: %v", tc.yaml, err)
		}
		if !slices.Equal(cfg.Seeds, tc.want) {
			t.Errorf("%q: seeds %v, want %v", tc.yaml, cfg.Seeds, tc.want)
		}
	}
}

// Include and exclude globs match what --only matches, task/method/setting/sSEED, with the
// same rule for shorter globs.
func TestIncludeExcludeGlobs(t *testing.T) {
	const base = "tasks: {afqmc: {}, tnews: {}}\nmethods: {fine-tuning: {}, fl-tuning: {}}\nseeds: [1, 2]\n"
	for _, tc := range []struct {
		rules string
		want  int
	}{
		{"", 8},
		{"exclude: [\"*/*/*/s2\"]", 4},
		{"exclude: [tnews]", 4},
		{"exclude: [\"afqmc/*\"]", 4},
		{"include: [\"*/fl-tuning\"]\nexclude: [\"*/*/*/s1\"]", 2},
		{"include: [\"afqmc/fine-tuning/full/s2\", tnews]", 5},
	} {
		cfg, err := ParseConfig("x.yaml", []byte(base+tc.rules+"\n"), testReg)
		if err != nil {
			t.Fatalf("%s: %v", tc.rules, err)
		}
		cells, err := cfg.Expand()
		if err != nil {
			t.Fatal(err)
		}
		if len(cells) != tc.want {
			t.Errorf("%s: %d cells, want %d", tc.rules, len(cells), tc.want)
		}
	}
}

// A cell's id does not depend on the working directory the config is read from: relative
// backbone and data paths are recorded as the file writes them.
func TestCellIDIndependentOfWorkingDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "folder")
	for _, d := range []string{"model", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	yml := "backbone: model\ndata_dir: ./data/\ntasks: {afqmc: {}}\nmethods: {fine-tuning: {}}\n"
	if err := os.WriteFile(filepath.Join(dir, "kill.yaml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func(cwd, path string) ([]Cell, *Config) {
		t.Helper()
		t.Chdir(cwd)
		cfg, err := LoadConfig(path, testReg)
		if err != nil {
			t.Fatal(err)
		}
		// The resolved paths, which the runner opens, still lead to the directories.
		for _, p := range []string{cfg.Backbone, cfg.DataDir} {
			if st, err := os.Stat(p); err != nil || !st.IsDir() {
				t.Fatalf("from %s, -c %s: %s is not the directory: %v", cwd, path, p, err)
			}
		}
		cells, err := cfg.Expand()
		if err != nil {
			t.Fatal(err)
		}
		return cells, cfg
	}
	a, _ := load(dir, "kill.yaml")
	b, _ := load(root, filepath.Join("folder", "kill.yaml"))
	c, _ := load("/", filepath.Join(dir, "kill.yaml"))
	for i := range a {
		if a[i].ID != b[i].ID || a[i].ID != c[i].ID {
			t.Errorf("cell %s: ids %s, %s, %s from three working directories", a[i].Name(), a[i].ID, b[i].ID, c[i].ID)
		}
		if a[i].Backbone != "model" || a[i].DataDir != "data" {
			t.Errorf("cell records backbone %q, data %q; want them as the config writes them, cleaned", a[i].Backbone, a[i].DataDir)
		}
	}
}

func TestHyperValidateNonFinite(t *testing.T) {
	h := defaultHyper
	h.LR = math.NaN()
	err := h.validate()
	if err == nil || err.Error() != "lr must be a finite number, got NaN" {
		t.Errorf("NaN lr: %v", err)
	}
	h = defaultHyper
	h.Clip = math.Inf(1)
	if err := h.validate(); err == nil || err.Error() != "clip must be a finite number, got +Inf" {
		t.Errorf("+Inf clip: %v", err)
	}
}
