package plan

import (
	"os"
	"path/filepath"
	"testing"
)

// A backbone written owner/name[@revision] that is no directory is a hub model: the config
// resolves it like a path (its cells' ids do not depend on which it is), and a frozen plan
// carries its name instead of an absolute path that exists nowhere. A directory of that
// form stays a directory. data_dir: clue is a name like builtin.
func TestFreezeHubBackbones(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "local", "bert"), 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := "backbones:\n  roberta: hfl/chinese-roberta-wwm-ext@v1\n  local: local/bert\n  dot: ./hfl/x\ndata_dir: clue\ntasks: {afqmc: {}}\nmethods: {fine-tuning: {}}\n"
	cfg, err := ParseConfig(filepath.Join(dir, "e.yaml"), []byte(yaml), testReg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != CLUEData {
		t.Errorf("data_dir resolved to %q", cfg.DataDir)
	}
	if w := cfg.BackboneWritten("roberta"); w != "hfl/chinese-roberta-wwm-ext@v1" {
		t.Errorf("written %q", w)
	}
	cells, err := cfg.Expand()
	if err != nil {
		t.Fatal(err)
	}
	f, err := Freeze(cfg, cells, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"roberta": "hfl/chinese-roberta-wwm-ext@v1", "local": filepath.Join(dir, "local", "bert"), "dot": filepath.Join(dir, "hfl", "x")}
	for name, w := range want {
		if f.Backbones[name] != w {
			t.Errorf("frozen %s = %q, want %q", name, f.Backbones[name], w)
		}
	}
	if f.DataDir != CLUEData {
		t.Errorf("frozen data_dir %q", f.DataDir)
	}
	one, err := ParseConfig(filepath.Join(dir, "one.yaml"), []byte("backbone: hfl/x\ntasks: {afqmc: {}}\nmethods: {fine-tuning: {}}\n"), testReg)
	if err != nil {
		t.Fatal(err)
	}
	cells, _ = one.Expand()
	if f, err := Freeze(one, cells, ""); err != nil || f.Backbone != "hfl/x" {
		t.Errorf("frozen backbone %q, %v", f.Backbone, err)
	}
}
