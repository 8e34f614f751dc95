package clue

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Dataset is one task's data under one Selection.
type Dataset struct {
	Train, Dev, Test []Example
	Stats            Stats
}

// Stats describes what Load read, for `bench data check` and for run records.
type Stats struct {
	Task      string               `json:"task"`
	Selection string               `json:"selection"`
	Dir       string               `json:"dir"`   // the resolved task folder
	Files     map[string]FileStats `json:"files"` // keyed by split: "train", "dev", "test"
	Notes     []string             `json:"notes,omitempty"`
}

// FileStats describes one file as read.
type FileStats struct {
	Path        string         `json:"path"`
	Missing     bool           `json:"missing,omitempty"` // only the test split may be absent
	Examples    int            `json:"examples"`          // rows kept (after dropping, after k-shot sampling)
	Unlabelled  int            `json:"unlabelled"`        // kept rows without a label
	Dropped     int            `json:"dropped"`           // rows the task discards by design
	DropReasons map[string]int `json:"drop_reasons,omitempty"`
	Labels      map[string]int `json:"labels"` // label string → count among kept rows

	// k-shot sampling only: how many rows the full file had, and the classes that had fewer
	// than K rows (label → rows available, all of which were taken).
	SampledFrom  int            `json:"sampled_from,omitempty"`
	ShortClasses map[string]int `json:"short_classes,omitempty"`
}

// File is one data file as read by ReadFile.
type File struct {
	Examples []Example
	Dropped  []Example // rows the task discards (OCNLI's "-"), with ID and Line set
	Stats    FileStats
}

// ReadFile reads one data file in the task's format. Errors name path:line and the field.
func ReadFile(t *Task, path string) (*File, error) {
	f, err := readFile(t, path)
	if err != nil {
		return nil, fmt.Errorf("clue/%s: %w", t.Name, err)
	}
	return f, nil
}

// readSplit reads a split's files: a Files entry may join several with "+" (C3's d- and m-
// files), which are read in order into one File.
func readSplit(t *Task, dir, names string) (*File, error) {
	var out *File
	for _, name := range strings.Split(names, "+") {
		f, err := readFile(t, filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = f
			continue
		}
		out.Examples = append(out.Examples, f.Examples...)
		out.Dropped = append(out.Dropped, f.Dropped...)
		out.Stats.Path += "+" + f.Stats.Path
		for r, n := range f.Stats.DropReasons {
			if out.Stats.DropReasons == nil {
				out.Stats.DropReasons = map[string]int{}
			}
			out.Stats.DropReasons[r] += n
		}
	}
	out.Stats.Dropped, out.Stats.Examples = len(out.Dropped), len(out.Examples)
	countLabels(t, out.Examples, &out.Stats)
	return out, nil
}

func readFile(t *Task, path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	records := readJSONL
	if t.Records != nil {
		records = t.Records
	}
	out := &File{Stats: FileStats{Path: path, Labels: map[string]int{}}}
	err = records(fh, path, func(line int, raw []byte) error {
		ex, err := t.Decode(raw)
		if reason, dropped := IsDrop(err); dropped {
			ex.Line = line
			if ex.ID == "" {
				ex.ID = strconv.Itoa(line - 1)
			}
			out.Dropped = append(out.Dropped, ex)
			if out.Stats.DropReasons == nil {
				out.Stats.DropReasons = map[string]int{}
			}
			out.Stats.DropReasons[reason]++
			return nil
		}
		if err != nil {
			return err
		}
		if ex.Label < -1 || ex.Label >= len(t.Labels) {
			// Only a faulty Decode gets here; catching it now keeps the index out of Score.
			return fmt.Errorf("field \"label\": decoder returned index %d outside %d labels", ex.Label, len(t.Labels))
		}
		ex.Line = line
		if ex.ID == "" {
			// CLUE train/dev files of several tasks carry no id; the 0-based line index is what
			// the official scripts fall back to, so submissions built from it line up.
			ex.ID = strconv.Itoa(line - 1)
		}
		out.Examples = append(out.Examples, ex)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Stats.Dropped = len(out.Dropped)
	out.Stats.Examples = len(out.Examples)
	countLabels(t, out.Examples, &out.Stats)
	return out, nil
}

// countLabels tallies the kept rows: by label, and for NER by entity type (each entity once).
func countLabels(t *Task, exs []Example, st *FileStats) {
	st.Labels = map[string]int{}
	st.Unlabelled = 0
	for _, ex := range exs {
		if !ex.Labelled() {
			st.Unlabelled++
			continue
		}
		if ex.Label >= 0 {
			st.Labels[t.Labels[ex.Label]]++
		}
		for _, e := range ex.Entities {
			st.Labels[t.Labels[e.Type]]++
		}
	}
}

// requireLabels rejects unlabelled rows in a split that is trained or scored on.
func requireLabels(f *File) error {
	for _, ex := range f.Examples {
		if !ex.Labelled() {
			return fmt.Errorf("%s:%d: field \"label\": missing (this split must be labelled)", f.Stats.Path, ex.Line)
		}
	}
	return nil
}

// Load reads a task's data under dataDir for a selection. The task folder is the first of
// t.Dirs (or t.FewShotDir for few:*) under dataDir that holds the selection's train file. The
// test file may be absent: Test is then empty and the stats say so.
func Load(t *Task, dataDir string, sel Selection) (*Dataset, error) {
	ds, err := load(t, dataDir, sel)
	if err != nil {
		return nil, fmt.Errorf("clue/%s: %w", t.Name, err)
	}
	return ds, nil
}

func load(t *Task, dataDir string, sel Selection) (*Dataset, error) {
	var dirs []string
	var trainName, devName, testName string
	switch sel.Regime {
	case RegimeFull, RegimeKShot:
		if len(t.Dirs) == 0 {
			return nil, fmt.Errorf("task is FewCLUE-only, so %s has no data: use few:0..few:4 or few:all", sel)
		}
		if sel.Regime == RegimeKShot && sel.K < 1 {
			return nil, fmt.Errorf("selection %s: K must be positive", sel)
		}
		dirs, trainName, devName, testName = t.Dirs, t.Files["train"], t.Files["dev"], t.Files["test"]
	case RegimeFew:
		if len(t.FewShotDir) == 0 {
			return nil, fmt.Errorf("task is not in FewCLUE: use full or kshot:K:SEED")
		}
		if sel.Fold != FoldAll && (sel.Fold < 0 || sel.Fold > 4) {
			return nil, fmt.Errorf("selection %s: FewCLUE folds are 0..4 or all", sel)
		}
		trainName, devName = sel.fewFiles()
		testName = "test_public.json"
		// FewCLUE folders directly under the data dir, or under a fewclue/ subfolder when
		// CLUE and FewCLUE are unpacked side by side.
		for _, d := range t.FewShotDir {
			dirs = append(dirs, d, filepath.Join("fewclue", d))
		}
	default:
		return nil, fmt.Errorf("selection %q: unknown regime", sel.Regime)
	}
	dir, err := resolveDir(dataDir, dirs, strings.Split(trainName, "+")[0])
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Stats: Stats{Task: t.Name, Selection: sel.String(), Dir: dir, Files: map[string]FileStats{}}}

	train, err := readSplit(t, dir, trainName)
	if err != nil {
		return nil, err
	}
	dev, err := readSplit(t, dir, devName)
	if err != nil {
		return nil, err
	}
	for _, f := range []*File{train, dev} {
		if err := requireLabels(f); err != nil {
			return nil, err
		}
	}
	ds.Train, ds.Dev = train.Examples, dev.Examples
	ds.Stats.Files["train"], ds.Stats.Files["dev"] = train.Stats, dev.Stats

	var test *File
	testPath := ""
	if testName != "" {
		testPath = filepath.Join(dir, testName)
		test, err = readSplit(t, dir, testName)
	}
	switch {
	case testName == "" || errors.Is(err, fs.ErrNotExist):
		ds.Stats.Files["test"] = FileStats{Path: testPath, Missing: true, Labels: map[string]int{}}
		ds.Stats.Notes = append(ds.Stats.Notes, "test file absent: Test is empty")
	case err != nil:
		return nil, err
	default:
		// FewCLUE's test_public.json is the labelled test set research numbers come from; the
		// official CLUE test files are unlabelled and only feed submissions.
		if sel.Regime == RegimeFew {
			if err := requireLabels(test); err != nil {
				return nil, err
			}
		}
		ds.Test = test.Examples
		ds.Stats.Files["test"] = test.Stats
	}

	if sel.Regime == RegimeKShot {
		strata, names := labelStrata(t, ds.Train)
		if t.Strata != nil {
			strata, names = t.Strata(ds.Train)
		}
		sampled, short := sampleKShot(ds.Train, strata, len(names), sel.K, sel.Seed)
		st := ds.Stats.Files["train"]
		st.SampledFrom = len(ds.Train)
		st.Examples = len(sampled)
		countLabels(t, sampled, &st)
		if len(short) > 0 {
			st.ShortClasses = map[string]int{}
			for c, n := range short {
				st.ShortClasses[names[c]] = n
			}
			ds.Stats.Notes = append(ds.Stats.Notes, fmt.Sprintf(
				"kshot: %d of %d classes have fewer than K=%d training examples; all of theirs were taken",
				len(short), len(names), sel.K))
		}
		ds.Stats.Files["train"] = st
		ds.Train = sampled
	}
	return ds, nil
}

// resolveDir returns the first dataDir/name that holds probe.
func resolveDir(dataDir string, names []string, probe string) (string, error) {
	tried := make([]string, 0, len(names))
	for _, n := range names {
		d := filepath.Join(dataDir, n)
		if fi, err := os.Stat(filepath.Join(d, probe)); err == nil && fi.Mode().IsRegular() {
			return d, nil
		}
		tried = append(tried, filepath.Join(d, probe))
	}
	return "", fmt.Errorf("no data: none of %s exists", strings.Join(tried, ", "))
}

// labelStrata is the default k-shot stratification: one stratum per label.
func labelStrata(t *Task, train []Example) ([]int, []string) {
	strata := make([]int, len(train))
	for i, ex := range train {
		strata[i] = ex.Label
	}
	return strata, t.Labels
}

// sampleKShot picks up to k examples per stratum (per class, for classification). Each
// example's rank is a hash of (seed, line, id), so the choice depends only on the seed and the
// file, not on Go's random number generators (whose streams may change between releases); a
// larger K with the same seed takes a superset. Strata with fewer than k examples contribute
// all of them and are returned in short (stratum → count). Examples whose stratum is outside
// [0, nStrata) are never picked. The sample keeps file order.
func sampleKShot(train []Example, strata []int, nStrata, k int, seed int64) (sample []Example, short map[int]int) {
	type ranked struct {
		key uint64
		i   int
	}
	byClass := make([][]ranked, nStrata)
	for i, ex := range train {
		if c := strata[i]; c >= 0 && c < nStrata {
			byClass[c] = append(byClass[c], ranked{rankKey(seed, ex), i})
		}
	}
	var picked []int
	for c, rs := range byClass {
		sort.Slice(rs, func(a, b int) bool {
			if rs[a].key != rs[b].key {
				return rs[a].key < rs[b].key
			}
			return rs[a].i < rs[b].i
		})
		if len(rs) < k {
			if short == nil {
				short = map[int]int{}
			}
			short[c] = len(rs)
		}
		for _, r := range rs[:min(k, len(rs))] {
			picked = append(picked, r.i)
		}
	}
	sort.Ints(picked)
	sample = make([]Example, len(picked))
	for j, i := range picked {
		sample[j] = train[i]
	}
	return sample, short
}

func rankKey(seed int64, ex Example) uint64 {
	var buf [16]byte
	binary.LittleEndian.PutUint64(buf[:8], uint64(seed))
	binary.LittleEndian.PutUint64(buf[8:], uint64(ex.Line))
	h := sha256.New()
	h.Write(buf[:])
	h.Write([]byte(ex.ID))
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}
