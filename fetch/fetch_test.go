package fetch

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/internal/download"
)

const testdata = "../clue/testdata"

// zipOf zips the files of clue/testdata/dir, under prefix ("" for a flat zip).
func zipOf(t *testing.T, dir, prefix string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	entries, err := os.ReadDir(filepath.Join(testdata, dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(testdata, dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(prefix + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if _, err := zw.Create("__MACOSX/._train.json"); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// server serves zips under /clue/ and clue/testdata's FewCLUE folders under /few/, and
// counts the requests per path.
type server struct {
	*httptest.Server
	mu    sync.Mutex
	zips  map[string][]byte
	hits  map[string]int
	delay time.Duration
}

func newServer(t *testing.T) *server {
	s := &server{zips: map[string][]byte{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		b, ok := s.zips[strings.TrimPrefix(r.URL.Path, "/clue/")]
		delay := s.delay
		s.mu.Unlock()
		time.Sleep(delay)
		if p, few := strings.CutPrefix(r.URL.Path, "/few/"); few {
			http.ServeFile(w, r, filepath.Join(testdata, filepath.FromSlash(p)))
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "z.zip", time.Time{}, bytes.NewReader(b))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) count(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for p, h := range s.hits {
		if strings.HasPrefix(p, prefix) {
			n += h
		}
	}
	return n
}

func (s *server) options(dir string) Options {
	return Options{Dir: dir, CLUEURL: s.URL + "/clue", FewCLUEURL: s.URL + "/few",
		Download: &download.Client{Attempts: 2, Backoff: time.Millisecond}}
}

func TestCLUEZipsUnpackIntoTheReadersLayout(t *testing.T) {
	s := newServer(t)
	s.zips["afqmc_public.zip"] = zipOf(t, "afqmc_public", "")
	s.zips["tnews_public.zip"] = zipOf(t, "tnews_public", "tnews_public/")
	dir := t.TempDir()
	var log bytes.Buffer
	o := s.options(dir)
	o.Tasks, o.CLUE, o.Log = []string{"afqmc", "tnews"}, true, &log
	if err := Data(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"afqmc", "tnews"} {
		task, _ := clue.Lookup(name)
		if _, err := clue.Load(task, dir, clue.Selection{Regime: clue.RegimeFull}); err != nil {
			t.Errorf("%s: the reader cannot load what was fetched: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "tnews_public", "tnews_public")); err == nil {
		t.Error("the zip's top folder was kept")
	}
	if _, err := os.Stat(filepath.Join(dir, "afqmc_public", "__MACOSX")); err == nil {
		t.Error("__MACOSX unpacked")
	}
	if _, err := os.Stat(filepath.Join(dir, ".downloads", "afqmc_public.zip")); err == nil {
		t.Error("zip kept after unpacking")
	}
	m, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(s.zips["afqmc_public.zip"])
	if r := m.Zips["afqmc_public.zip"]; r.SHA256 != hex.EncodeToString(sum[:]) || r.Size != int64(len(s.zips["afqmc_public.zip"])) {
		t.Errorf("zip record %+v", r)
	}
	if r, ok := m.Files["afqmc_public/train.json"]; !ok || r.Size == 0 {
		t.Errorf("file records %v", m.Files)
	}
	if !strings.Contains(log.String(), "first download") {
		t.Errorf("log %q", log.String())
	}

	// Again: in place and verified, no request.
	n := s.count("/")
	log.Reset()
	if err := Data(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if s.count("/") != n || !strings.Contains(log.String(), "afqmc: afqmc_public: 3 files in place, verified") {
		t.Errorf("second fetch: %d new requests, log %q", s.count("/")-n, log.String())
	}

	// A damaged file is replaced by a verified copy of the same zip.
	train := filepath.Join(dir, "afqmc_public", "train.json")
	good, _ := os.ReadFile(train)
	os.WriteFile(train, []byte("damaged"), 0o644)
	if err := Data(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(train); !bytes.Equal(b, good) {
		t.Error("damaged file not restored")
	}

	// The server now sends other bytes than were recorded at first download: refused,
	// nothing left in place.
	os.RemoveAll(filepath.Join(dir, "afqmc_public"))
	s.mu.Lock()
	s.zips["afqmc_public.zip"] = zipOf(t, "tnews_public", "")
	s.mu.Unlock()
	err = Data(context.Background(), o)
	var mm *download.MismatchError
	if !errors.As(err, &mm) || !strings.Contains(err.Error(), "recorded at its first download") {
		t.Fatalf("changed zip: %v", err)
	}
	for _, p := range []string{"afqmc_public", ".downloads/afqmc_public.zip", ".downloads/afqmc_public.zip.incomplete"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("%s left in place", p)
		}
	}
}

func TestFewCLUEFilesAreChecked(t *testing.T) {
	s := newServer(t)
	// Record clue/testdata's tnews FewCLUE files the way fewclue.json records the real ones.
	var man fewCLUEManifest
	entries, _ := os.ReadDir(filepath.Join(testdata, "tnews"))
	for _, e := range entries {
		size, sum, err := download.FileSHA256(filepath.Join(testdata, "tnews", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		man.Files = append(man.Files, struct {
			Path   string `json:"path"`
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		}{"tnews/" + e.Name(), size, sum})
	}
	saved := fewCLUEJSON
	t.Cleanup(func() { fewCLUEJSON = saved })
	fewCLUEJSON, _ = json.Marshal(man)

	dir := t.TempDir()
	o := s.options(dir)
	o.Tasks, o.FewCLUE = []string{"tnews"}, true
	if err := Data(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	task, _ := clue.Lookup("tnews")
	sel, _ := clue.ParseSelection("few:0")
	if _, err := clue.Load(task, dir, sel); err != nil {
		t.Errorf("the reader cannot load what was fetched: %v", err)
	}
	n := s.count("/few/")
	if err := Data(context.Background(), o); err != nil || s.count("/few/") != n {
		t.Errorf("second fetch: %v, %d new requests", err, s.count("/few/")-n)
	}

	// A wrong checksum is an error, and the file is not left in place.
	man.Files[0].SHA256 = strings.Repeat("0", 64)
	fewCLUEJSON, _ = json.Marshal(man)
	first := filepath.Join(dir, "fewclue", filepath.FromSlash(man.Files[0].Path))
	os.Remove(first)
	err := Data(context.Background(), o)
	var mm *download.MismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("wrong checksum: %v", err)
	}
	if _, err := os.Stat(first); err == nil {
		t.Error("a file with the wrong checksum was left in place")
	}
}

func TestFetchErrors(t *testing.T) {
	s := newServer(t)
	o := s.options(t.TempDir())
	o.Tasks, o.CLUE = []string{"afqmc"}, true
	err := Data(context.Background(), o)
	var he *download.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 404 || !strings.Contains(err.Error(), "afqmc_public.zip") {
		t.Errorf("404: %v", err)
	}
	o.Tasks = []string{"eprstmt"}
	if err := Data(context.Background(), o); err == nil || !strings.Contains(err.Error(), "FewCLUE-only") {
		t.Errorf("eprstmt without FewCLUE: %v", err)
	}
	o.Tasks = []string{"nosuch"}
	if err := Data(context.Background(), o); err == nil || !strings.Contains(err.Error(), `no download for task "nosuch"`) {
		t.Errorf("unknown task: %v", err)
	}
	// A damaged zip (its CRC-32 fails) is neither unpacked nor recorded.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "train.json", Method: zip.Store})
	w.Write([]byte(`{"sentence1": "a", "sentence2": "b", "label": "0"}` + "\n"))
	zw.Close()
	z := buf.Bytes()
	z[bytes.Index(z, []byte(`"sentence1"`))+1] ^= 0x20 // stored, so the damage reaches the entry's bytes
	s.zips["afqmc_public.zip"] = z
	o.Tasks = []string{"afqmc"}
	if err := Data(context.Background(), o); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("damaged zip: %v", err)
	}
	m, _ := readManifest(o.Dir)
	if len(m.Zips) != 0 {
		t.Errorf("damaged zip recorded: %v", m.Zips)
	}
}

// Two fetchers of one directory: one downloads, the other waits and finds it in place.
func TestConcurrentFetchersDownloadOnce(t *testing.T) {
	s := newServer(t)
	s.zips["afqmc_public.zip"] = zipOf(t, "afqmc_public", "")
	s.delay = 100 * time.Millisecond
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := s.options(dir)
			o.Tasks, o.CLUE = []string{"afqmc"}, true
			errs[i] = Data(context.Background(), o)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := s.count("/clue/"); n != 1 {
		t.Errorf("%d downloads, want 1", n)
	}
}

// Every fetched folder is one the readers look in, and every FewCLUE folder of the
// checksum list belongs to a task.
func TestTasksMatchTheReaders(t *testing.T) {
	few := map[string]bool{}
	for _, ft := range Tasks {
		task, err := clue.Lookup(ft.Name)
		if err != nil {
			t.Errorf("%s: %v", ft.Name, err)
			continue
		}
		if ft.Dir != "" && !slices.Contains(task.Dirs, ft.Dir) {
			t.Errorf("%s: %s not among the reader's folders %v", ft.Name, ft.Dir, task.Dirs)
		}
		if ft.Few != "" && !slices.Contains(task.FewShotDir, ft.Few) {
			t.Errorf("%s: %s not among the reader's FewCLUE folders %v", ft.Name, ft.Few, task.FewShotDir)
		}
		few[ft.Few] = true
	}
	var man fewCLUEManifest
	if err := json.Unmarshal(fewCLUEJSON, &man); err != nil {
		t.Fatal(err)
	}
	if man.Commit != fewCLUECommit || len(man.Files) == 0 {
		t.Errorf("fewclue.json: commit %s, %d files", man.Commit, len(man.Files))
	}
	for _, f := range man.Files {
		folder, _, _ := strings.Cut(f.Path, "/")
		if !few[folder] || len(f.SHA256) != 64 || f.Size <= 0 {
			t.Errorf("fewclue.json: %+v", f)
		}
	}
}
