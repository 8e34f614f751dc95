package builtin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/clue-bench/clue-bench/model"
)

// The shipped backbone must be the one the default spec names today: a change to the spec,
// the pre-training procedure or the generated corpus changes the key, and then bench would
// silently pre-train for minutes again. This test says so, and checks that what is shipped
// is that spec's model (config, vocabulary, spec record) with intact files.
func TestShippedBackboneMatchesDefaultSpec(t *testing.T) {
	cache := t.TempDir()
	spec := DefaultSpec()
	data, err := DataDir(cache, spec.DataSeed)
	if err != nil {
		t.Fatal(err)
	}
	dir, vocab, err := backboneDir(cache, spec, data)
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Base(dir)
	keys, err := ShippedKeys()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(keys, []string{key}) {
		t.Fatalf("shipped backbones %v, want exactly [%s], the default spec's key; see shipped.go on refreshing it", keys, key)
	}
	files, ok, err := readShipped(shipped, key)
	if err != nil || !ok {
		t.Fatalf("read shipped %s: ok=%v err=%v", key, ok, err)
	}
	cfg, err := model.ParseConfig(files["config.json"])
	if err != nil {
		t.Fatalf("shipped config.json: %v", err)
	}
	if want := spec.Config(int64(len(vocab))); cfg != want {
		t.Errorf("shipped config\n%+v\nwant the spec's\n%+v", cfg, want)
	}
	if got, want := string(files["vocab.txt"]), strings.Join(vocab, "\n")+"\n"; got != want {
		t.Errorf("shipped vocab.txt differs from the generated data's vocabulary")
	}
	var rec struct {
		Spec json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(files["pretraining.json"], &rec); err != nil {
		t.Fatalf("shipped pretraining.json: %v", err)
	}
	want, _ := json.Marshal(spec)
	var a, b any
	if err := json.Unmarshal(rec.Spec, &a); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(want, &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("shipped pretraining.json spec %s, want %s", rec.Spec, want)
	}
}

func TestReadShippedChecksSums(t *testing.T) {
	const good = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae" // sha256("foo")
	sums := func(model string) []byte {
		var b strings.Builder
		for _, n := range shippedFiles {
			s := good
			if n == "model.safetensors" {
				s = model
			}
			b.WriteString(s + "  " + n + "\n")
		}
		return []byte(b.String())
	}
	fsys := func(sum []byte) fstest.MapFS {
		m := fstest.MapFS{"shipped/k/SHA256SUMS": {Data: sum}}
		for _, n := range shippedFiles {
			m["shipped/k/"+n] = &fstest.MapFile{Data: []byte("foo")}
		}
		return m
	}
	if _, ok, err := readShipped(fsys(sums(good)), "k"); err != nil || !ok {
		t.Errorf("intact files: ok=%v err=%v", ok, err)
	}
	if _, ok, err := readShipped(fsys(sums(good)), "other"); err != nil || ok {
		t.Errorf("unknown key: ok=%v err=%v, want not found and no error", ok, err)
	}
	bad := strings.Repeat("0", 64)
	if _, _, err := readShipped(fsys(sums(bad)), "k"); err == nil || !strings.Contains(err.Error(), "model.safetensors") {
		t.Errorf("changed model.safetensors: err=%v, want one naming the file", err)
	}
	if _, _, err := readShipped(fsys([]byte("nonsense\n")), "k"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("malformed SHA256SUMS: err=%v, want one naming the line", err)
	}
}

func TestInstallShipped(t *testing.T) {
	keys, err := ShippedKeys()
	if err != nil || len(keys) == 0 {
		t.Fatalf("shipped keys %v, %v", keys, err)
	}
	dir := filepath.Join(t.TempDir(), keys[0])
	if ok, err := installShipped(dir); err != nil || !ok {
		t.Fatalf("install: ok=%v err=%v", ok, err)
	}
	for _, n := range shippedFiles {
		want, _ := shipped.ReadFile("shipped/" + keys[0] + "/" + n)
		got, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: installed copy differs (err %v)", n, err)
		}
	}
	if ok, err := installShipped(filepath.Join(t.TempDir(), "bert-0000000000")); err != nil || ok {
		t.Errorf("unknown key: ok=%v err=%v, want nothing installed", ok, err)
	}
}
