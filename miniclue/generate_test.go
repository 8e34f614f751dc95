package miniclue

import (
	"bytes"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clue-bench/clue-bench/clue"
)

// readTree returns every regular file under dir by slash path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func generateSmall(t *testing.T, o Options) (string, *Manifest) {
	t.Helper()
	dir := t.TempDir()
	if o.Scale == 0 {
		o.Scale = 0.2
	}
	m, err := Generate(dir, o)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", o, err)
	}
	return dir, m
}

func TestSameOptionsGiveIdenticalBytes(t *testing.T) {
	a := readTree(t, first(generateSmall(t, Options{Seed: 3})))
	b := readTree(t, first(generateSmall(t, Options{Seed: 3})))
	if len(a) != len(b) || len(a) < 80 {
		t.Fatalf("trees have %d and %d files", len(a), len(b))
	}
	for p, data := range a {
		if !bytes.Equal(data, b[p]) {
			t.Errorf("%s differs between two runs with the same seed", p)
		}
	}
}

func TestDifferentSeedsGiveDifferentData(t *testing.T) {
	a := readTree(t, first(generateSmall(t, Options{Seed: 3})))
	b := readTree(t, first(generateSmall(t, Options{Seed: 4})))
	for p, data := range a {
		if p == manifestName {
			continue
		}
		if bytes.Equal(data, b[p]) {
			t.Errorf("%s is the same for seeds 3 and 4", p)
		}
	}
}

// A task's files and the corpus must not depend on which other tasks are selected, or a
// partial regeneration would silently change the data of a run.
func TestTaskFilesIndependentOfSelection(t *testing.T) {
	all := readTree(t, first(generateSmall(t, Options{Seed: 5})))
	dir, m := generateSmall(t, Options{Seed: 5, Tasks: []string{"csl", "afqmc", "csl"}})
	some := readTree(t, dir)
	if strings.Join(m.Tasks, ",") != "afqmc,csl" {
		t.Errorf("manifest tasks %v, want [afqmc csl]", m.Tasks)
	}
	for p, data := range some {
		if p == manifestName {
			continue
		}
		if !strings.HasPrefix(p, "afqmc_") && !strings.HasPrefix(p, "csl_") && p != "fewclue/csl/"+filepath.Base(p) && p != corpusName {
			t.Errorf("unselected file %s written", p)
		}
		if !bytes.Equal(data, all[p]) {
			t.Errorf("%s differs when only afqmc and csl are generated", p)
		}
	}
}

func first(dir string, _ *Manifest) string { return dir }

func TestManifestDescribesTheTree(t *testing.T) {
	dir, m := fixture(t)
	if err := m.Verify(dir); err != nil {
		t.Fatal(err)
	}
	onDisk := readTree(t, dir)
	if len(onDisk) != len(m.Files)+1 {
		t.Errorf("%d files on disk, manifest lists %d (+ itself)", len(onDisk), len(m.Files))
	}
	for _, f := range m.Files {
		data := onDisk[f.Path]
		rows := bytes.Count(data, []byte{'\n'})
		switch {
		case strings.HasPrefix(f.Path, "cmrc2018_public/") || strings.HasPrefix(f.Path, "c3_public/"):
			rows = bytes.Count(data, []byte(`"question": `))
		case strings.HasSuffix(f.Path, "_answer.json"): // CHID: one object, a key per blank
			rows = bytes.Count(data, []byte(`"#idiom`))
		}
		if len(data) != f.Bytes || rows != f.Rows {
			t.Errorf("%s: %d bytes, %d rows on disk; manifest says %d, %d", f.Path, len(data), rows, f.Bytes, f.Rows)
		}
	}
	read, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if read.Seed != fixtureSeed || read.Version != GeneratorVersion || read.Scale != 1 || len(read.Tasks) != len(tasks) {
		t.Errorf("manifest header %+v", read)
	}
	if read.File("ocnli_public/train.50k.json").Rows != 2400 || read.File("tnews_public/train.json").Rows != 3000 {
		t.Error("manifest rows do not match the default sizes")
	}
	if n := len(onDisk[corpusName]); n < 1_000_000 || n > 5_000_000 {
		t.Errorf("corpus.txt is %d bytes, want 1–5 MB", n)
	}
	// A corrupted file must fail verification.
	p := filepath.Join(t.TempDir(), "x")
	if err := os.MkdirAll(filepath.Join(p, "afqmc_public"), 0o755); err != nil {
		t.Fatal(err)
	}
	one := &Manifest{Files: []FileInfo{*m.File("afqmc_public/dev.json")}}
	if err := os.WriteFile(filepath.Join(p, "afqmc_public", "dev.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if one.Verify(p) == nil {
		t.Error("Verify accepted a file with the wrong content")
	}
}

func TestSummaryHasOneLinePerTask(t *testing.T) {
	_, m := fixture(t)
	lines := m.Summary()
	if len(lines) != len(tasks)+1 {
		t.Fatalf("summary has %d lines: %q", len(lines), lines)
	}
	for _, want := range []string{
		"afqmc        afqmc_public/ train 16000, dev 400, test 300",
		"tnews        tnews_public/ train 3000, dev 450, test 300; fewclue/tnews/ 5 folds of 240/240, test_public 300, test 300",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("summary lacks %q: %q", want, lines)
		}
	}
	if !strings.HasPrefix(lines[len(lines)-1], "corpus.txt") || !strings.HasSuffix(lines[len(lines)-1], " MB") {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
}

func TestCharsetCoversEveryStringValue(t *testing.T) {
	dir, m := fixture(t)
	charset := map[rune]bool{}
	for _, c := range m.Charset {
		charset[c] = true
	}
	for _, fc := range allFiles(dir) {
		for _, row := range readRows(t, fc.path) {
			for _, s := range allTexts(row) {
				for _, c := range s {
					if !charset[c] {
						t.Fatalf("%s: %q (in %q) missing from the manifest charset", fc.path, c, s)
					}
				}
			}
		}
	}
	if strings.ContainsAny(m.Charset, "{}\"\n") {
		t.Error("charset holds JSON syntax characters or newlines")
	}
}

func TestSecondGenerateWritesNothing(t *testing.T) {
	dir, _ := generateSmall(t, Options{Seed: 9, Tasks: []string{"tnews"}})
	stamp := func() map[string]time.Time {
		out := map[string]time.Time{}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil {
				if info, err := d.Info(); err == nil {
					out[p] = info.ModTime()
				}
			}
			return nil
		})
		return out
	}
	// Push every timestamp into the past, so that any rewrite would show.
	old := time.Now().Add(-time.Hour)
	for p := range stamp() {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	before := stamp()
	if _, err := Generate(dir, Options{Seed: 9, Scale: 0.2, Tasks: []string{"tnews"}}); err != nil {
		t.Fatal(err)
	}
	for p, tm := range stamp() {
		if !tm.Equal(before[p]) {
			t.Errorf("%s was touched by a no-op Generate", p)
		}
	}
	// A damaged file makes the next call rewrite the tree.
	victim := filepath.Join(dir, "tnews_public", "dev.json")
	if err := os.WriteFile(victim, []byte("broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Generate(dir, Options{Seed: 9, Scale: 0.2, Tasks: []string{"tnews"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(dir); err != nil {
		t.Fatalf("after repair: %v", err)
	}
	// No temporary directories are left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("leftover %s", e.Name())
		}
	}
}

func TestManifestKeepsDescribingTheDirectory(t *testing.T) {
	dir := t.TempDir()
	gen := func(o Options) *Manifest {
		t.Helper()
		m, err := Generate(dir, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Verify(dir); err != nil {
			t.Fatal(err)
		}
		return m
	}
	gen(Options{Seed: 1, Scale: 0.1, Tasks: []string{"afqmc"}})
	// Same options, another task: both are kept and listed.
	if m := gen(Options{Seed: 1, Scale: 0.1, Tasks: []string{"csl"}}); strings.Join(m.Tasks, ",") != "afqmc,csl" {
		t.Errorf("tasks after adding csl: %v", m.Tasks)
	}
	// Another seed: the earlier tasks no longer match and their directories go.
	m := gen(Options{Seed: 2, Scale: 0.1, Tasks: []string{"csl"}})
	if strings.Join(m.Tasks, ",") != "csl" {
		t.Errorf("tasks after reseeding: %v", m.Tasks)
	}
	tree := readTree(t, dir)
	if len(tree) != len(m.Files)+1 {
		t.Errorf("%d files on disk, manifest lists %d", len(tree), len(m.Files))
	}
	for p := range tree {
		if strings.HasPrefix(p, "afqmc_public/") {
			t.Errorf("outdated %s left behind", p)
		}
	}
}

func TestOptionsAreValidated(t *testing.T) {
	for _, o := range []Options{
		{Scale: -1}, {Scale: math.NaN()}, {Scale: maxScale + 1}, {Tasks: []string{"afqmc", "nope"}}, {Tasks: []string{}},
	} {
		if _, err := Generate(t.TempDir(), o); err == nil {
			t.Errorf("Generate(%+v) succeeded", o)
		}
	}
	o, err := Options{}.normalize()
	if err != nil || o.Scale != 1 || len(o.Tasks) != len(TaskNames()) {
		t.Errorf("zero Options normalize to %+v, %v; want scale 1 and all tasks", o, err)
	}
	if _, err := Vocab(t.TempDir()); err == nil {
		t.Error("Vocab of a directory without a manifest succeeded")
	}
}

// TestTaskNames checks every generator against the reader registry: its names are distinct,
// the folders it writes are ones a registered clue task reads, and that task loads them (the
// official splits, and FewCLUE fold 0 where the generator writes one).
func TestTaskNames(t *testing.T) {
	dir, _ := fixture(t)
	seen := map[string]bool{}
	for _, name := range TaskNames() {
		if seen[name] || taskByName(name) == nil {
			t.Errorf("TaskNames() = %v: %s repeated or unknown", TaskNames(), name)
		}
		seen[name] = true
	}
	for _, tk := range tasks {
		var reader *clue.Task
		for _, n := range clue.Names() {
			if ct, err := clue.Lookup(n); err == nil && slices.Contains(ct.Dirs, tk.dir()) {
				reader = ct
			}
		}
		if reader == nil {
			t.Errorf("%s: no registered clue task reads %s", tk.name, tk.dir())
			continue
		}
		sels := []clue.Selection{clue.Full}
		if tk.few != "" {
			if !slices.Contains(reader.FewShotDir, tk.few) {
				t.Errorf("%s: clue task %s does not read the FewCLUE folder %s", tk.name, reader.Name, tk.few)
			}
			sels = append(sels, clue.Selection{Regime: clue.RegimeFew, Fold: 0})
		}
		for _, sel := range sels {
			ds, err := clue.Load(reader, dir, sel)
			if err != nil {
				t.Errorf("%s: %v", tk.name, err)
				continue
			}
			if len(ds.Train) == 0 || len(ds.Dev) == 0 || len(ds.Test) == 0 {
				t.Errorf("%s %s: train/dev/test = %d/%d/%d examples", tk.name, sel.Regime, len(ds.Train), len(ds.Dev), len(ds.Test))
			}
		}
	}
}

func TestVocabCoversCharset(t *testing.T) {
	dir, m := fixture(t)
	v, err := Vocab(dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(v[:5], " ") != "[PAD] [UNK] [CLS] [SEP] [MASK]" || v[5] != "[unused1]" {
		t.Errorf("vocab starts %v", v[:6])
	}
	index := map[string]bool{}
	for _, tok := range v {
		if index[tok] {
			t.Errorf("duplicate token %q", tok)
		}
		if tok == "" || strings.ContainsAny(tok, " \n") {
			t.Errorf("bad token %q", tok)
		}
		index[tok] = true
	}
	for _, c := range strings.ToLower(m.Charset) {
		if !index[string(c)] {
			t.Errorf("character %q of the charset is not in the vocab", c)
		}
	}
	for _, tok := range []string{"0", "9", "##0", "##9", "，", "《"} {
		if !index[tok] {
			t.Errorf("vocab lacks %q", tok)
		}
	}
	if n := utf8.RuneCountInString(m.Charset); len(v) < n || len(v) > n+100 {
		t.Errorf("vocab has %d tokens for a charset of %d", len(v), n)
	}
	if !strings.HasSuffix(VocabText(v), "\n") || strings.Count(VocabText(v), "\n") != len(v) {
		t.Error("VocabText is not one token per line")
	}
}
