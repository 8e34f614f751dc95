package miniclue

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Options selects what Generate writes.
type Options struct {
	Seed  int64
	Scale float64  // multiplies the default train/dev/test and corpus sizes; 0 means 1
	Tasks []string // CLUE task names (see TaskNames); nil means all
}

// maxScale keeps a mistyped scale from filling the disk.
const maxScale = 50

func (o Options) normalize() (Options, error) {
	if o.Scale == 0 {
		o.Scale = 1
	}
	if math.IsNaN(o.Scale) || o.Scale < 0 || o.Scale > maxScale {
		return o, fmt.Errorf("miniclue: scale %v out of range (0, %d]", o.Scale, maxScale)
	}
	if o.Tasks == nil {
		o.Tasks = TaskNames()
		return o, nil
	}
	want := map[string]bool{}
	for _, n := range o.Tasks {
		if taskByName(n) == nil {
			return o, fmt.Errorf("miniclue: unknown task %q (have %v)", n, TaskNames())
		}
		want[n] = true
	}
	if len(want) == 0 {
		return o, errors.New("miniclue: no tasks selected")
	}
	o.Tasks = nil
	for _, n := range TaskNames() { // canonical order, duplicates dropped
		if want[n] {
			o.Tasks = append(o.Tasks, n)
		}
	}
	return o, nil
}

// unit is a directory (or a single file when dir is "") that is replaced as a whole.
type unit struct {
	dir   string
	files map[string][]byte // name → content; with dir "" the name is a path under out
	rows  map[string]int    // name → records (JSON lines, questions, or corpus lines)
	order []string
}

func (u *unit) add(name string, data []byte, rows int) {
	if u.files == nil {
		u.files, u.rows = map[string][]byte{}, map[string]int{}
	}
	u.files[name] = data
	u.rows[name] = rows
	u.order = append(u.order, name)
}

// Generate writes the mini-CLUE data sets selected by o under out and returns their
// manifest. The same options always give byte-identical files. Each task directory is
// written to a temporary directory and renamed into place, and MANIFEST.json is written
// last, so an interrupted run never leaves a manifest describing files that are not there.
// When out already holds a manifest equal to the one this call would write, and every file
// it lists has the recorded hash, nothing is written.
//
// The manifest always describes the whole directory: tasks generated earlier into out with
// the same seed, scale and generator version are kept (and listed), and the directories of
// tasks generated earlier with other options are removed.
func Generate(out string, o Options) (m *Manifest, err error) {
	// The generators index their own tables and assert their own payload types; should one
	// of those invariants break, the caller gets an error instead of a crashed process.
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("miniclue: internal error: %v", p)
		}
	}()
	o, err = o.normalize()
	if err != nil {
		return nil, err
	}
	prev, _ := ReadManifest(out) // absent or unreadable: nothing to keep or clean up
	var stale []string
	if prev != nil && prev.Generator == "miniclue" {
		if prev.Version == GeneratorVersion && prev.Seed == o.Seed && prev.Scale == o.Scale {
			// Task files do not depend on the selection, so the tasks already there are exactly
			// what this call would write for them: keep them and list them.
			o.Tasks = unionTasks(o.Tasks, prev.Tasks)
		} else {
			stale = staleDirs(prev.Tasks, o.Tasks)
		}
	}
	units, err := buildUnits(o)
	if err != nil {
		return nil, err
	}
	m, err = newManifest(o, units)
	if err != nil {
		return nil, err
	}
	mb, err := m.encode()
	if err != nil {
		return nil, err
	}
	if upToDate(out, mb, m) {
		return m, nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("miniclue: create output directory: %w", err)
	}
	for _, u := range units {
		if err := writeUnit(out, u); err != nil {
			return nil, err
		}
	}
	if err := writeFileAtomic(filepath.Join(out, manifestName), mb); err != nil {
		return nil, err
	}
	// Directories of an earlier generation with other options would contradict the new
	// manifest; only the task directories that manifest listed are removed.
	for _, d := range stale {
		if err := os.RemoveAll(filepath.Join(out, filepath.FromSlash(d))); err != nil {
			return nil, fmt.Errorf("miniclue: remove outdated %s: %w", d, err)
		}
	}
	return m, nil
}

// unionTasks merges two task lists in canonical order.
func unionTasks(a, b []string) []string {
	var out []string
	for _, n := range TaskNames() {
		if slices.Contains(a, n) || slices.Contains(b, n) {
			out = append(out, n)
		}
	}
	return out
}

// staleDirs lists the directories of the tasks in prev that are not in cur.
func staleDirs(prev, cur []string) []string {
	var out []string
	for _, n := range prev {
		t := taskByName(n)
		if t == nil || slices.Contains(cur, n) {
			continue
		}
		out = append(out, t.dir())
		if t.few != "" {
			out = append(out, fewDir+"/"+t.few)
		}
	}
	return out
}

// buildUnits generates every task (the corpus must avoid the evaluation texts of all of
// them, whichever are written) and encodes the selected ones.
func buildUnits(o Options) ([]unit, error) {
	sets := make([]*splitSet, len(tasks))
	var protected []string
	for i, t := range tasks {
		s, err := t.build(o.Seed, o.Scale)
		if err != nil {
			return nil, fmt.Errorf("miniclue: generate %s: %w", t.name, err)
		}
		sets[i] = s
		for _, l := range [][]item{s.dev, s.test, s.trial, s.fewPublic, s.fewTestOnly} {
			protected = append(protected, textsOf(l)...)
		}
		for k := range 5 {
			protected = append(protected, textsOf(s.fewDev[k])...)
		}
	}
	var units []unit
	for i, t := range tasks {
		if !slices.Contains(o.Tasks, t.name) {
			continue
		}
		us, err := t.encodeUnits(sets[i])
		if err != nil {
			return nil, fmt.Errorf("miniclue: encode %s: %w", t.name, err)
		}
		units = append(units, us...)
	}
	corpus := unit{}
	text := buildCorpus(o.Seed, o.Scale, protected)
	corpus.add(corpusName, []byte(text), strings.Count(text, "\n"))
	return append(units, corpus), nil
}

func textsOf(items []item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.texts...)
	}
	return out
}

const (
	manifestName = "MANIFEST.json"
	corpusName   = "corpus.txt"
	fewDir       = "fewclue"
)

// encodeUnits lays out the CLUE directory and, where FewCLUE has the task, its folder.
func (t *task) encodeUnits(s *splitSet) ([]unit, error) {
	clue := unit{dir: t.dir()}
	type split struct {
		name  string
		items []item
		form  rowForm
	}
	splits := []split{{t.trainFile, s.train, formLabelled}, {"dev.json", s.dev, formLabelled}}
	if t.trialSize > 0 {
		splits = append(splits, split{"trial.json", s.trial, formLabelled})
	}
	splits = append(splits, split{"test.json", s.test, formTest})
	for _, f := range splits {
		if t.documents != nil {
			files, err := t.documents(f.items, f.form, strings.TrimSuffix(f.name, ".json"))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.name, err)
			}
			for _, d := range files {
				clue.add(d.name, d.data, d.rows)
			}
			continue
		}
		b, err := t.file(f.items, f.form, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		clue.add(f.name, b, len(f.items))
	}
	if t.few == "" {
		return []unit{clue}, nil
	}
	few := unit{dir: fewDir + "/" + t.few}
	// Ids run across the folder, so an example keeps its id in train_k and train_few_all.
	var allTrain, allDev []byte
	id := 0
	for _, part := range []struct {
		prefix string
		sets   [5][]item
		all    *[]byte
	}{{"train", s.fewTrain, &allTrain}, {"dev", s.fewDev, &allDev}} {
		for k := range 5 {
			b, err := t.file(part.sets[k], formFew, id)
			if err != nil {
				return nil, fmt.Errorf("%s_%d: %w", part.prefix, k, err)
			}
			id += len(part.sets[k])
			few.add(fmt.Sprintf("%s_%d.json", part.prefix, k), b, len(part.sets[k]))
			*part.all = append(*part.all, b...)
		}
	}
	few.add("train_few_all.json", allTrain, 5*t.fewSize)
	few.add("dev_few_all.json", allDev, 5*t.fewSize)
	pub, err := t.file(s.fewPublic, formFew, id)
	if err != nil {
		return nil, fmt.Errorf("test_public: %w", err)
	}
	few.add("test_public.json", pub, len(s.fewPublic))
	test, err := t.file(s.fewTestOnly, formTest, 0)
	if err != nil {
		return nil, fmt.Errorf("test: %w", err)
	}
	few.add("test.json", test, len(s.fewTestOnly))
	return []unit{clue, few}, nil
}

// file encodes items as JSON lines, numbering them from firstID.
func (t *task) file(items []item, form rowForm, firstID int) ([]byte, error) {
	rows := make([]any, len(items))
	for i, it := range items {
		rows[i] = t.encode(it, form, firstID+i)
	}
	return jsonLines(rows)
}

func upToDate(out string, manifest []byte, m *Manifest) bool {
	old, err := os.ReadFile(filepath.Join(out, manifestName))
	if err != nil || !bytes.Equal(old, manifest) {
		return false
	}
	return m.Verify(out) == nil
}

// writeUnit replaces a unit's directory (or file) in out.
func writeUnit(out string, u unit) error {
	if u.dir == "" {
		for _, name := range u.order {
			if err := writeFileAtomic(filepath.Join(out, filepath.FromSlash(name)), u.files[name]); err != nil {
				return err
			}
		}
		return nil
	}
	final := filepath.Join(out, filepath.FromSlash(u.dir))
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("miniclue: create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-"+filepath.Base(final)+"-")
	if err != nil {
		return fmt.Errorf("miniclue: temporary directory for %s: %w", u.dir, err)
	}
	defer os.RemoveAll(tmp) // no-op after a successful rename
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("miniclue: %w", err)
	}
	for _, name := range u.order {
		if err := os.WriteFile(filepath.Join(tmp, name), u.files[name], 0o644); err != nil {
			return fmt.Errorf("miniclue: write %s/%s: %w", u.dir, name, err)
		}
	}
	// A directory cannot be renamed over a non-empty one, so the old copy is moved aside
	// first; the window without a directory is one rename long.
	old := tmp + ".old"
	hadOld := false
	if _, err := os.Lstat(final); err == nil {
		if err := os.Rename(final, old); err != nil {
			return fmt.Errorf("miniclue: move old %s aside: %w", u.dir, err)
		}
		hadOld = true
	}
	if err := os.Rename(tmp, final); err != nil {
		if hadOld {
			os.Rename(old, final) // best effort: leave the previous data where it was
		}
		return fmt.Errorf("miniclue: install %s: %w", u.dir, err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("miniclue: remove old %s: %w", u.dir, err)
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return fmt.Errorf("miniclue: temporary file for %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("miniclue: write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("miniclue: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("miniclue: write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("miniclue: install %s: %w", path, err)
	}
	return nil
}
