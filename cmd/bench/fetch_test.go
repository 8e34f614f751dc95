package main

import (
	"archive/zip"
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/hub/hubtest"
)

const hubCommit = "89abcdef0123456789abcdef0123456789abcdef"

// hubEnv points the hub client at a stand-in hub holding files as owner/name, with a fresh
// cache, and returns the server.
func hubEnv(t *testing.T, name string, files map[string][]byte) *hubtest.Server {
	t.Helper()
	s := hubtest.New(&hubtest.Repo{Name: name, Commit: hubCommit, Files: files, LFS: map[string]bool{"model.safetensors": true}})
	t.Cleanup(s.Close)
	t.Setenv("HF_ENDPOINT", s.URL)
	t.Setenv("HF_HUB_CACHE", filepath.Join(t.TempDir(), "hub"))
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HF_TOKEN_PATH", filepath.Join(t.TempDir(), "no-token"))
	t.Setenv("HF_HUB_OFFLINE", "")
	return s
}

// zipDir zips the files of dir (flat).
func zipDir(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(e.Name())
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// clueEnv serves zips as the CLUE download location, with a fresh data cache.
func clueEnv(t *testing.T, zips map[string][]byte) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := zips[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "z.zip", time.Time{}, bytes.NewReader(b))
	}))
	t.Cleanup(s.Close)
	t.Setenv("CLUE_BENCH_CLUE_URL", s.URL)
	t.Setenv("CLUE_BENCH_CACHE", t.TempDir())
	return s
}

func TestFetchModel(t *testing.T) {
	files := map[string][]byte{"config.json": []byte(`{"model_type":"bert"}`), "vocab.txt": []byte("[PAD]\n"), "model.safetensors": []byte("weights")}
	s := hubEnv(t, "org/tiny", files)
	code, stdout, stderr := runBench(t, "fetch", "model", "org/tiny")
	dir := strings.TrimSpace(stdout)
	if code != 0 || !strings.HasSuffix(dir, filepath.Join("models--org--tiny", "snapshots", hubCommit)) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "model.safetensors")); err != nil || string(b) != "weights" {
		t.Errorf("model.safetensors: %q %v", b, err)
	}
	if !strings.Contains(stderr, "fetch org/tiny/model.safetensors") {
		t.Errorf("no progress lines: %q", stderr)
	}
	// Several names: one directory per line, in order (the second time from the cache).
	if code, stdout, stderr := runBench(t, "fetch", "model", "org/tiny", "org/tiny"); code != 0 || stdout != dir+"\n"+dir+"\n" {
		t.Errorf("two names: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	for _, tc := range []struct {
		args []string
		env  string
		code int
		want string
	}{
		{[]string{"fetch", "model", "org/missing"}, "", 1, "repository not found or not readable (401)"},
		{[]string{"fetch", "model", "org/other"}, "HF_HUB_OFFLINE=1", 1, "HF_HUB_OFFLINE is set and the cache"},
		{[]string{"fetch", "model", "./org/tiny"}, "", 2, "want owner/name"},
		{[]string{"fetch", "model"}, "", 2, "name a model"},
		// Names are checked before anything is fetched.
		{[]string{"fetch", "model", "org/tiny", "not-a-name"}, "", 2, "want owner/name"},
	} {
		if k, v, ok := strings.Cut(tc.env, "="); ok {
			t.Setenv(k, v)
		}
		code, _, stderr := runBench(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("bench %s (%s): exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), tc.env, code, stderr, tc.code, tc.want)
		}
	}
	// Offline, the model fetched above is still there.
	t.Setenv("HF_HUB_OFFLINE", "1")
	n := len(s.Requests())
	if code, stdout, _ := runBench(t, "fetch", "model", "org/tiny"); code != 0 || strings.TrimSpace(stdout) != dir || len(s.Requests()) != n {
		t.Errorf("offline, cached: exit %d, %q, %d requests", code, stdout, len(s.Requests())-n)
	}
}

func TestFetchData(t *testing.T) {
	clueEnv(t, map[string][]byte{"afqmc_public.zip": zipDir(t, filepath.Join(fixtures, "afqmc_public"))})
	to := filepath.Join(t.TempDir(), "clue")
	code, stdout, stderr := runBench(t, "fetch", "data", "--tasks", "afqmc", "--to", to)
	if code != 0 || strings.TrimSpace(stdout) != to || !strings.Contains(stderr, "trust on first use") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := runBench(t, "data", "check", "--task", "afqmc", "--data", to); code != 0 {
		t.Errorf("data check on the fetched data: exit %d %s", code, stderr)
	}
	if code, _, stderr := runBench(t, "fetch", "data", "--tasks", "afqmc", "--to", to); code != 0 || !strings.Contains(stderr, "in place, verified") {
		t.Errorf("second fetch: exit %d %s", code, stderr)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"fetch", "data", "--tasks", "tnews", "--to", to}, 1, "tnews_public.zip: 404 Not Found"},
		{[]string{"fetch", "data", "--tasks", "nosuch", "--to", to}, 2, `no download for task "nosuch"`},
		{[]string{"fetch", "data", "--tasks", "eprstmt", "--to", to}, 1, "FewCLUE-only"},
	} {
		code, _, stderr := runBench(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("bench %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.want)
		}
	}
}

// A config's backbone written owner/name that is no directory, and data_dir: clue, pass the
// input checks (they are resolved when cells run); a directory of that form is checked as one.
func TestCheckInputsHubAndCLUE(t *testing.T) {
	dir := t.TempDir()
	cfgText := "backbone: org/tiny\ndata_dir: clue\ntasks: {afqmc: {}}\nmethods: {fine-tuning: {}}\n"
	path := filepath.Join(dir, "e.yaml")
	os.WriteFile(path, []byte(cfgText), 0o644)
	cfg, err := plan.LoadConfig(path, registry(0))
	if err != nil {
		t.Fatal(err)
	}
	cells, _ := cfg.Expand()
	if err := checkConfigInputs(cfg, cells); err != nil {
		t.Errorf("hub backbone and data_dir clue: %v", err)
	}
	if v := backboneValue(cfg.BackboneWritten(""), cfg.Backbone); v != "org/tiny" {
		t.Errorf("opened as %q", v)
	}
	os.MkdirAll(filepath.Join(dir, "org", "tiny"), 0o755)
	if v := backboneValue(cfg.BackboneWritten(""), cfg.Backbone); v != filepath.Join(dir, "org", "tiny") {
		t.Errorf("an existing directory opened as %q", v)
	}
}
