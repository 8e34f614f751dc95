package fetch

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clue-bench/clue-bench/internal/download"
	"github.com/clue-bench/clue-bench/internal/flock"
)

// Default download locations; CLUE_BENCH_CLUE_URL and CLUE_BENCH_FEWCLUE_URL override them
// (mirrors, tests).
const (
	DefaultCLUEURL    = "https://storage.googleapis.com/cluebenchmark/tasks"
	DefaultFewCLUEURL = "https://raw.githubusercontent.com/CLUEbenchmark/FewCLUE/" + fewCLUECommit + "/datasets"
	fewCLUECommit     = "62a02c6f31cf32814cfe522f78ef088228840f8d"
)

//go:embed fewclue.json
var fewCLUEJSON []byte

// fewCLUEManifest is fewclue.json: the FewCLUE files fetched, with their sizes and sums.
type fewCLUEManifest struct {
	Repo   string `json:"repo"`
	Commit string `json:"commit"`
	Files  []struct {
		Path   string `json:"path"` // "<folder>/<file>"
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	} `json:"files"`
}

// Task is where one task's data comes from. Zip and Dir are the CLUE zip and the folder it
// is unpacked to ("" for FewCLUE-only tasks); Few is the FewCLUE folder ("" when the task is
// not in FewCLUE).
type Task struct {
	Name, Zip, Dir, Few string
}

// Tasks are the tasks that can be fetched, by the names package clue registers them under.
var Tasks = []Task{
	{"afqmc", "afqmc_public.zip", "afqmc_public", ""},
	{"tnews", "tnews_public.zip", "tnews_public", "tnews"},
	{"iflytek", "iflytek_public.zip", "iflytek_public", "iflytek"},
	{"ocnli", "ocnli_public.zip", "ocnli_public", "ocnli"},
	{"cmnli", "cmnli_public.zip", "cmnli_public", ""},
	{"csl", "csl_public.zip", "csl_public", "csl"},
	{"wsc", "cluewsc2020_public.zip", "cluewsc2020_public", "cluewsc"},
	// WSC 1.0, the first release, was published as wsc_public.zip; it unpacks to the file
	// names of 1.1, hence a folder of its own.
	{"wsc10", "wsc_public.zip", "cluewsc10_public", ""},
	{"cluener", "cluener_public.zip", "cluener_public", ""},
	{"c3", "c3_public.zip", "c3_public", ""},
	{"chid", "chid_public.zip", "chid_public", "chid"},
	{"cmrc2018", "cmrc2018_public.zip", "cmrc2018_public", ""},
	{"eprstmt", "", "", "eprstmt"},
	{"bustm", "", "", "bustm"},
}

// Lookup finds a task by name.
func Lookup(name string) (Task, error) {
	var names []string
	for _, t := range Tasks {
		if t.Name == name {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return Task{}, fmt.Errorf("no download for task %q (tasks that can be fetched: %s)", name, strings.Join(names, ", "))
}

// DefaultDir is the data cache that "data_dir: clue" stands for: clue/ under
// $CLUE_BENCH_CACHE (default ~/.cache/clue-bench), beside the built-in inputs.
func DefaultDir() string {
	if d := os.Getenv("CLUE_BENCH_CACHE"); d != "" {
		return filepath.Join(d, "clue")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "clue-bench", "clue")
	}
	return filepath.Join(os.TempDir(), "clue-bench", "clue")
}

// Options say what to fetch, and where from.
type Options struct {
	Dir     string
	Tasks   []string // task names; empty means every task that has the asked-for parts
	CLUE    bool     // the tasks' CLUE zips
	FewCLUE bool     // the tasks' FewCLUE folders
	// Implicit skips a part a task does not have instead of failing (a run that needs
	// whatever exists of each of its tasks).
	Implicit bool

	CLUEURL, FewCLUEURL string // bases; the defaults, or the environment's, when empty
	Download            *download.Client
	Log                 io.Writer // a line per task; nil prints nothing
}

// FromEnv fills the base URLs from CLUE_BENCH_CLUE_URL and CLUE_BENCH_FEWCLUE_URL.
func (o *Options) FromEnv() {
	if o.CLUEURL == "" {
		o.CLUEURL = os.Getenv("CLUE_BENCH_CLUE_URL")
	}
	if o.FewCLUEURL == "" {
		o.FewCLUEURL = os.Getenv("CLUE_BENCH_FEWCLUE_URL")
	}
}

// at a time works on a directory; the others wait for it and then find the data in place.
func Data(ctx context.Context, o Options) error {
	if o.Dir == "" {
		return errors.New("fetch data: no directory")
	}
	if !o.CLUE && !o.FewCLUE {
		return errors.New("fetch data: neither CLUE nor FewCLUE asked for")
	}
	if o.CLUEURL == "" {
		o.CLUEURL = DefaultCLUEURL
	}
	if o.FewCLUEURL == "" {
		o.FewCLUEURL = DefaultFewCLUEURL
	}
	o.CLUEURL, o.FewCLUEURL = strings.TrimRight(o.CLUEURL, "/"), strings.TrimRight(o.FewCLUEURL, "/")
	if o.Download == nil {
		o.Download = &download.Client{}
	}
	tasks, err := o.selected()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return fmt.Errorf("fetch data: %w", err)
	}
	unlock, err := flock.Lock(ctx, filepath.Join(o.Dir, ".lock"))
	if err != nil {
		return fmt.Errorf("fetch data %s: %w", o.Dir, err)
	}
	defer unlock()
	m, err := readManifest(o.Dir)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if o.CLUE && t.Zip != "" {
			if err := o.clue(ctx, m, t); err != nil {
				return err
			}
		}
		if o.FewCLUE && t.Few != "" {
			if err := o.fewCLUE(ctx, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// selected resolves o.Tasks, refusing a part a named task does not have.
func (o *Options) selected() ([]Task, error) {
	if len(o.Tasks) == 0 {
		var ts []Task
		for _, t := range Tasks {
			if (o.CLUE && t.Zip != "") || (o.FewCLUE && t.Few != "") {
				ts = append(ts, t)
			}
		}
		return ts, nil
	}
	var ts []Task
	for _, name := range o.Tasks {
		t, err := Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("fetch data: %w", err)
		}
		if !o.Implicit {
			if o.CLUE && !o.FewCLUE && t.Zip == "" {
				return nil, fmt.Errorf("fetch data: task %s is FewCLUE-only; ask for FewCLUE", name)
			}
			if o.FewCLUE && !o.CLUE && t.Few == "" {
				return nil, fmt.Errorf("fetch data: task %s is not in FewCLUE", name)
			}
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func (o *Options) say(format string, a ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format, a...)
	}
}

// fewCLUE fetches a task's FewCLUE folder, each file checked against fewclue.json.
func (o *Options) fewCLUE(ctx context.Context, t Task) error {
	var man fewCLUEManifest
	if err := json.Unmarshal(fewCLUEJSON, &man); err != nil {
		return fmt.Errorf("fetch data: fewclue.json: %w", err)
	}
	n, fetched := 0, 0
	for _, f := range man.Files {
		folder, _, _ := strings.Cut(f.Path, "/")
		if folder != t.Few {
			continue
		}
		n++
		r, err := o.Download.Fetch(ctx, download.Request{
			URL:  o.FewCLUEURL + "/" + f.Path,
			Dest: filepath.Join(o.Dir, "fewclue", filepath.FromSlash(f.Path)),
			Name: "fewclue/" + f.Path,
			Want: download.Want{Size: f.Size, SHA256: f.SHA256},
		})
		if err != nil {
			return fmt.Errorf("fetch data: %w", err)
		}
		if r.Fetched {
			fetched++
		}
	}
	if fetched > 0 {
		o.say("%s: fewclue/%s: %d files fetched and verified\n", t.Name, t.Few, fetched)
	} else {
		o.say("%s: fewclue/%s: %d files in place, verified\n", t.Name, t.Few, n)
	}
	return nil
}

// clue fetches and unpacks a task's CLUE zip, unless its folder is in place and matches the
// manifest.
func (o *Options) clue(ctx context.Context, m *Manifest, t Task) error {
	dest := filepath.Join(o.Dir, t.Dir)
	recorded := m.filesUnder(t.Dir)
	if len(recorded) > 0 {
		err := verifyFiles(o.Dir, recorded, m)
		if err == nil {
			o.say("%s: %s: %d files in place, verified\n", t.Name, t.Dir, len(recorded))
			return nil
		}
		// Damaged or edited since it was fetched: replace it with a verified copy.
		o.say("%s: %v; fetching it again\n", t.Name, err)
		if err := os.RemoveAll(dest); err != nil {
			return fmt.Errorf("fetch data: %w", err)
		}
	} else if _, err := os.Stat(dest); err == nil {
		o.say("%s: %s is there but was not fetched by bench, so it cannot be verified; left as it is\n", t.Name, t.Dir)
		return nil
	}
	zipPath := filepath.Join(o.Dir, ".downloads", t.Zip)
	url := o.CLUEURL + "/" + t.Zip
	rec, known := m.Zips[t.Zip]
	want := download.Want{}
	if known {
		want = download.Want{Size: rec.Size, SHA256: rec.SHA256}
	}
	r, err := o.Download.Fetch(ctx, download.Request{URL: url, Dest: zipPath, Want: want})
	if err != nil {
		var mm *download.MismatchError
		if errors.As(err, &mm) {
			return fmt.Errorf("fetch data: %w; its size and sha256 were recorded at its first download in %s (remove its entry there to trust what the server sends now)", err, filepath.Join(o.Dir, "manifest.json"))
		}
		return fmt.Errorf("fetch data: %w", err)
	}
	files, err := unpack(zipPath, o.Dir, t.Dir)
	if err != nil {
		// A zip that does not unpack (a damaged entry fails its CRC-32) is neither kept nor
		// recorded: the next try downloads it afresh.
		os.Remove(zipPath)
		return fmt.Errorf("fetch data: %s: %w", t.Zip, err)
	}
	if !known {
		m.Zips[t.Zip] = Record{Size: r.Size, SHA256: r.SHA256, URL: url, Fetched: time.Now().UTC().Format(time.RFC3339)}
		o.say("%s: %s: first download, %s, sha256 %s recorded (trust on first use)\n", t.Name, t.Zip, download.Bytes(r.Size), r.SHA256)
	}
	if len(recorded) > 0 {
		// The same zip (checked above) must give the same files; anything else is a bug
		// worth stopping for rather than recording.
		for p, r := range files {
			if want, ok := recorded[p]; ok && want.SHA256 != r.SHA256 {
				os.RemoveAll(dest)
				return fmt.Errorf("fetch data: %s: unpacked sha256 %s, recorded %s", p, r.SHA256, want.SHA256)
			}
		}
	}
	for p, r := range files {
		m.Files[p] = r
	}
	if err := writeManifest(o.Dir, m); err != nil {
		return err
	}
	if err := os.Remove(zipPath); err != nil {
		return fmt.Errorf("fetch data: %w", err)
	}
	o.say("%s: %s: %d files unpacked and recorded\n", t.Name, t.Dir, len(files))
	return nil
}
