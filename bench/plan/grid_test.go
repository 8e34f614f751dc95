package plan

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const gridYAML = `
seeds: [1, 2]
defaults:
  lr: [1.0e-4, 3.0e-4]
  epochs: 2
tasks:
  afqmc:
    batch_size: [8, 16]
    methods:
      fine-tuning: {lr: 2.0e-5}
  tnews:
    settings:
      few: {warmup: [0.0, 0.1]}
methods:
  fine-tuning: {}
  fl-tuning:
    lr: [1.0e-3, 1.0e-2]
settings:
  full: {split: full}
  few: {split: "few:all", batch_size: 4}
`

// expand parses a config (path: where it would be) and expands its cells.
func expand(t *testing.T, path, yaml string) (*Config, []Cell) {
	t.Helper()
	cfg, err := ParseConfig(path, []byte(yaml), testReg)
	if err != nil {
		t.Fatal(err)
	}
	cells, err := cfg.Expand()
	if err != nil {
		t.Fatal(err)
	}
	return cfg, cells
}

// Lists expand into grid points after the setting and before the seed, first axis (in Hyper
// field order) outermost, values in the order written; the point names the cell.
func TestGridExpandOrder(t *testing.T) {
	cfg, cells := expand(t, "/x/grid.yaml", gridYAML)
	var got []string
	ids := map[string]bool{}
	for _, c := range cells {
		if c.Seed != 1 {
			continue
		}
		got = append(got, c.Name())
		if ids[c.ID] {
			t.Errorf("%s: id %s repeats", c.Key(), c.ID)
		}
		ids[c.ID] = true
	}
	want := []string{
		// afqmc: the task's batch_size list, except in few, whose batch_size 4 is more
		// specific (a setting beats a task); fine-tuning's lr is the task's per-method
		// scalar, which beats the defaults' list.
		"afqmc/fine-tuning/few",
		"afqmc/fine-tuning/full@batch_size=8",
		"afqmc/fine-tuning/full@batch_size=16",
		// fl-tuning: the method's lr list beats the defaults' one.
		"afqmc/fl-tuning/few@lr=0.001",
		"afqmc/fl-tuning/few@lr=0.01",
		"afqmc/fl-tuning/full@batch_size=8,lr=0.001",
		"afqmc/fl-tuning/full@batch_size=8,lr=0.01",
		"afqmc/fl-tuning/full@batch_size=16,lr=0.001",
		"afqmc/fl-tuning/full@batch_size=16,lr=0.01",
		"tnews/fine-tuning/few@lr=0.0001,warmup=0",
		"tnews/fine-tuning/few@lr=0.0001,warmup=0.1",
		"tnews/fine-tuning/few@lr=0.0003,warmup=0",
		"tnews/fine-tuning/few@lr=0.0003,warmup=0.1",
		"tnews/fine-tuning/full@lr=0.0001",
		"tnews/fine-tuning/full@lr=0.0003",
		"tnews/fl-tuning/few@lr=0.001,warmup=0",
		"tnews/fl-tuning/few@lr=0.001,warmup=0.1",
		"tnews/fl-tuning/few@lr=0.01,warmup=0",
		"tnews/fl-tuning/few@lr=0.01,warmup=0.1",
		"tnews/fl-tuning/full@lr=0.001",
		"tnews/fl-tuning/full@lr=0.01",
	}
	if !slices.Equal(got, want) {
		t.Errorf("grid order:\n got %q\nwant %q", got, want)
	}
	if len(cells) != 2*len(want) {
		t.Errorf("%d cells, want %d", len(cells), 2*len(want))
	}
	// Ids hash the grid point (pinned: a change to them makes every grid result stale). A
	// combination no list applies to has no grid point and keeps a plain key.
	pins := [][2]string{
		{"afqmc__fine-tuning__few__s1", "54691d99d616"},
		{"afqmc__fine-tuning__few__s2", "def22bf7dd92"},
		{"afqmc__fine-tuning__full__s1__batch_size=8", "c4d9a71918b3"},
		{"afqmc__fine-tuning__full__s2__batch_size=8", "2e326c9a43b1"},
	}
	for i, p := range pins {
		if cells[i].Key() != p[0] || cells[i].ID != p[1] {
			t.Errorf("cell %d: %s %s, want %s %s", i, cells[i].Key(), cells[i].ID, p[0], p[1])
		}
	}
	// Seeds are innermost; the point's values are in the hyper-parameters, keys and globs.
	c := cells[2]
	if c.Seed != 1 || c.Grid != "batch_size=8" || c.Hyper.BatchSize != 8 || c.Hyper.EvalBatchSize != 16 || c.Hyper.LR != 2e-5 {
		t.Errorf("cell %+v", c)
	}
	if c.Key() != "afqmc__fine-tuning__full__s1__batch_size=8" || c.globName() != "afqmc/fine-tuning/full/s1/batch_size=8" {
		t.Errorf("key %q glob %q", c.Key(), c.globName())
	}
	if got := cells[len(cells)-1].Hyper; got.LR != 1e-2 || got.BatchSize != 32 {
		t.Errorf("last cell hyper %+v", got)
	}
	if pts, combos := cfg.GridSize(); pts != len(want) || combos != 8 {
		t.Errorf("GridSize = %d, %d", pts, combos)
	}
	if got := strings.Join(cfg.GridAxes(), " "); got != "defaults.lr=[0.0001 0.0003] tasks.afqmc.batch_size=[8 16] tasks.tnews.settings.few.warmup=[0 0.1] methods.fl-tuning.lr=[0.001 0.01]" {
		t.Errorf("GridAxes = %s", got)
	}
	// --only selects grid points by the last part; shorter globs take every point.
	sel, err := Filter(cells, []string{"afqmc/fl-tuning/full/s2/batch_size=16,*"})
	if err != nil || len(sel) != 2 {
		t.Fatalf("Filter: %d cells, %v", len(sel), err)
	}
	if sel, err := Filter(cells, []string{"tnews/*/few"}); err != nil || len(sel) != 16 {
		t.Fatalf("Filter few: %d cells, %v", len(sel), err)
	}
	if _, err := Filter(cells, []string{"a/b/c/d/e/f"}); err == nil || !strings.Contains(err.Error(), "task/method/setting/sSEED/GRID") {
		t.Errorf("6-part glob: %v", err)
	}
}

// Precedence is the scalars' precedence: the most specific layer that sets a key wins, list or
// scalar, at each of the layers.
func TestGridPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string // grid points of afqmc/fl-tuning/full
	}{
		{"list in defaults", "defaults: {lr: [1, 2]}", []string{"lr=1", "lr=2"}},
		{"scalar in task beats list in defaults", "defaults: {lr: [1, 2]}\ntasks: {afqmc: {lr: 3}}", []string{""}},
		{"list in task beats scalar in defaults", "defaults: {lr: 3}\ntasks: {afqmc: {lr: [1, 2]}}", []string{"lr=1", "lr=2"}},
		{"list in setting beats list in task", "tasks: {afqmc: {lr: [1, 2]}}\nsettings: {full: {lr: [5, 6, 7]}}", []string{"lr=5", "lr=6", "lr=7"}},
		{"scalar in method beats list in setting", "settings: {full: {lr: [5, 6]}}\nmethods: {fl-tuning: {lr: 9}}", []string{""}},
		{"list in task's setting beats scalar in method", "methods: {fl-tuning: {lr: 9}}\ntasks: {afqmc: {settings: {full: {lr: [1, 2]}}}}", []string{"lr=1", "lr=2"}},
		{"scalar in task's method beats list in task's setting", "tasks: {afqmc: {settings: {full: {lr: [1, 2]}}, methods: {fl-tuning: {lr: 4}}}}", []string{""}},
		{"two keys at two layers", "defaults: {clip: [0.5, 1]}\nmethods: {fl-tuning: {pooler: [false, true]}}", []string{"clip=0.5,pooler=false", "clip=0.5,pooler=true", "clip=1,pooler=false", "clip=1,pooler=true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := "\n" + tc.yaml + "\n"
			for _, k := range []string{"tasks", "methods", "settings"} {
				if !strings.Contains(y, "\n"+k+":") {
					y += map[string]string{"tasks": "tasks: {afqmc: {}}\n", "methods": "methods: {fl-tuning: {}}\n", "settings": "settings: {full: {}}\n"}[k]
				}
			}
			_, cells := expand(t, "x.yaml", y)
			var got []string
			for _, c := range cells {
				got = append(got, c.Grid)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("points %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGridErrors(t *testing.T) {
	const base = "tasks: {afqmc: {}}\nmethods: {fine-tuning: {}}\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"empty list", base + "defaults:\n  lr: []\n", "x.yaml:4: defaults.lr: empty list"},
		{"string in a float list", base + "defaults:\n  lr: [1.0e-4, fast]\n", "x.yaml:4: defaults.lr[1]: want a number, got fast"},
		{"bool in an int list", "tasks:\n  afqmc:\n    batch_size:\n      - 8\n      - true\nmethods: {fine-tuning: {}}\n", "x.yaml:5: tasks.afqmc.batch_size[1]: want an integer, got true"},
		{"number in a bool list", base + "settings:\n  full: {pooler: [true, 1]}\n", "x.yaml:4: settings.full.pooler[1]: want true or false, got 1"},
		{"fraction in an int list", base + "defaults: {max_len: [64, 64.5]}\n", "x.yaml:3: defaults.max_len[1] must be an integer, got 64.5"},
		{"inf in a list", "tasks: {afqmc: {}}\nmethods:\n  fine-tuning:\n    lr: [1.0e-4, .inf]\n", "x.yaml:4: methods.fine-tuning.lr[1] must be a finite number, got +Inf"},
		{"nan in a task's method list", "tasks:\n  afqmc:\n    methods:\n      fine-tuning: {clip: [.nan]}\nmethods: {fine-tuning: {}}\n", "x.yaml:4: tasks.afqmc.methods.fine-tuning.clip[0] must be a finite number, got NaN"},
		{"nested list", base + "defaults:\n  lr: [[1, 2]]\n", "x.yaml:4: defaults.lr[0]: want a value, got a list"},
		{"repeated value", base + "defaults:\n  lr: [1.0e-4, 0.0001]\n", "x.yaml:4: defaults.lr[1]: 0.0001 is also defaults.lr[0]"},
		{"value out of range", base + "defaults:\n  epochs: 1\n  warmup: [0.1, 1.5]\n", "x.yaml:5: afqmc/fine-tuning/full@warmup=1.5: warmup is a fraction in [0, 1)"},
		{"unknown key beside a list", base + "defaults: {lr: [1, 2], bogus: 1}\n", "x.yaml:3: field bogus not found"},
		{"list where no list belongs", base + "settings:\n  full: {split: [full], lr: [1, 2]}\n", "x.yaml:4: cannot unmarshal !!seq into string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("x.yaml", []byte(tc.yaml), testReg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// A config without lists expands exactly as before grids existed (TestSingleBackboneCellsPinned
// pins its ids): no cell has a grid point, and names keep their form.
func TestNoGridUnchanged(t *testing.T) {
	cfg, cells := expand(t, "/x/experiments.yaml", goodYAML)
	for _, c := range cells {
		if c.Grid != "" || strings.Contains(c.Name(), "@") || strings.Count(c.Key(), "__") != 3 {
			t.Errorf("cell %s: grid %q, name %q", c.Key(), c.Grid, c.Name())
		}
	}
	if pts, combos := cfg.GridSize(); pts != combos || cfg.GridAxes() != nil {
		t.Errorf("GridSize %d/%d, axes %v", pts, combos, cfg.GridAxes())
	}
}

// Include and exclude globs may name grid points, and a frozen plan keeps the points.
func TestGridGlobsAndFreeze(t *testing.T) {
	y := gridYAML + "include: [\"afqmc/fl-tuning/full/*/batch_size=16,*\", \"tnews/fine-tuning/full/s1/lr=0.0001\"]\n"
	cfg, cells := expand(t, "/x/grid.yaml", y)
	var got []string
	for _, c := range cells {
		got = append(got, c.Key())
	}
	want := []string{
		"afqmc__fl-tuning__full__s1__batch_size=16_lr=0.001", "afqmc__fl-tuning__full__s2__batch_size=16_lr=0.001",
		"afqmc__fl-tuning__full__s1__batch_size=16_lr=0.01", "afqmc__fl-tuning__full__s2__batch_size=16_lr=0.01",
		"tnews__fine-tuning__full__s1__lr=0.0001",
	}
	if !slices.Equal(got, want) {
		t.Errorf("included %q, want %q", got, want)
	}
	if _, err := ParseConfig("x.yaml", []byte(gridYAML+"include: [\"afqmc/*/*/*/lr=5\"]\n"), testReg); err == nil || !strings.Contains(err.Error(), "include and exclude leave no cells") {
		t.Errorf("include of no grid point: %v", err)
	}
	f, err := Freeze(cfg, cells, "")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "plan.json")
	if err := WriteFrozen(p, f); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFrozen(p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(back.Cells, cells, func(a, b Cell) bool { return a.ID == b.ID && a.Grid == b.Grid && a.Hyper == b.Hyper }) {
		t.Errorf("frozen cells changed")
	}
}

// Every key a layer may set names a Hyper field of the same type, which a grid value sets.
func TestGridKeysMapToHyper(t *testing.T) {
	if len(hyperKeys) != len(hyperField) {
		t.Fatalf("%d keys, %d fields", len(hyperKeys), len(hyperField))
	}
	ht := reflect.TypeOf(Hyper{})
	ot := reflect.TypeOf(Overlay{})
	for i, k := range hyperKeys {
		f := ht.Field(hyperField[k])
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != k || ot.Field(i).Type.Elem() != f.Type {
			t.Errorf("key %s maps to Hyper.%s (%s, %s)", k, f.Name, name, f.Type)
		}
	}
}
