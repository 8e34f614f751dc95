package hub

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/hub/hubtest"
	"github.com/clue-bench/clue-bench/internal/download"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

func tinyRepo() *hubtest.Repo {
	return &hubtest.Repo{
		Name:   "hfl/tiny-bert",
		Commit: commit,
		Files: map[string][]byte{
			"config.json":           []byte(`{"model_type":"bert","hidden_size":8}`),
			"vocab.txt":             []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n的\n"),
			"model.safetensors":     []byte(strings.Repeat("weights!", 4096)),
			"pytorch_model.bin":     []byte("old pickle"),
			"tokenizer_config.json": []byte(`{"do_lower_case":true}`),
		},
		LFS: map[string]bool{"model.safetensors": true, "pytorch_model.bin": true},
	}
}

func client(t *testing.T, s *hubtest.Server) *Client {
	return &Client{Endpoint: s.URL, Cache: t.TempDir(), Download: &download.Client{Attempts: 2, Backoff: time.Millisecond}}
}

func TestParseRefAndIsRef(t *testing.T) {
	for s, want := range map[string]Ref{
		"hfl/chinese-roberta-wwm-ext":             {Repo: "hfl/chinese-roberta-wwm-ext"},
		"hfl/chinese-roberta-wwm-ext@v1.0":        {Repo: "hfl/chinese-roberta-wwm-ext", Revision: "v1.0"},
		"google-bert/bert-base-chinese@" + commit: {Repo: "google-bert/bert-base-chinese", Revision: commit},
		"o/n@refs/pr/1":                           {Repo: "o/n", Revision: "refs/pr/1"},
	} {
		if got, ok := ParseRef(s); !ok || got != want {
			t.Errorf("ParseRef(%q) = %+v, %v", s, got, ok)
		}
	}
	for _, s := range []string{"builtin", "models", "a/b/c", "/abs/x", "a/b@", "a--b/c", "a/..", "a/b@x/", ""} {
		if _, ok := ParseRef(s); ok {
			t.Errorf("ParseRef(%q) accepted", s)
		}
	}
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "local", "bert"), 0o755)
	for s, want := range map[string]bool{"hfl/x": true, "hfl/x@v2": true, "local/bert": false, "./hfl/x": false, "~/hfl": false, "/hfl/x": false, "models": false} {
		if got := IsRef(s, filepath.Join(base, s)); got != want {
			t.Errorf("IsRef(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestSnapshotFetchesIntoHubLayout(t *testing.T) {
	repo := tinyRepo()
	s := hubtest.New(repo)
	defer s.Close()
	c := client(t, s)
	ref := Ref{Repo: repo.Name}
	dir, err := c.Snapshot(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	rd := filepath.Join(c.Cache, "models--hfl--tiny-bert")
	if dir != filepath.Join(rd, "snapshots", commit) {
		t.Errorf("dir %s", dir)
	}
	for _, f := range []string{"config.json", "vocab.txt", "model.safetensors", "tokenizer_config.json"} {
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || string(got) != string(repo.Files[f]) {
			t.Errorf("%s: %v", f, err)
		}
		link, err := os.Readlink(filepath.Join(dir, f))
		etag := hubtest.GitBlobID(repo.Files[f])
		if repo.LFS[f] {
			etag = hubtest.SHA256(repo.Files[f])
		}
		if err != nil || link != filepath.Join("..", "..", "blobs", etag) {
			t.Errorf("%s: link %q %v, want ../../blobs/%s", f, link, err, etag)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pytorch_model.bin")); err == nil {
		t.Error("pytorch_model.bin fetched although model.safetensors exists")
	}
	if b, _ := os.ReadFile(filepath.Join(rd, "refs", "main")); string(b) != commit {
		t.Errorf("refs/main = %q", b)
	}
	if _, err := os.Stat(filepath.Join(rd, ".no_exist", commit, "special_tokens_map.json")); err != nil {
		t.Errorf("missing optional file not recorded: %v", err)
	}
	// The second time, the cache answers: no request at all.
	n := len(s.Requests())
	if dir2, err := c.Snapshot(context.Background(), ref); err != nil || dir2 != dir || len(s.Requests()) != n {
		t.Errorf("second Snapshot: %s %v, %d new requests", dir2, err, len(s.Requests())-n)
	}
}

// A weights download broken off half-way resumes from where it stopped.
func TestSnapshotResumesBrokenDownload(t *testing.T) {
	repo := tinyRepo()
	s := hubtest.New(repo)
	defer s.Close()
	s.Config.ErrorLog = nil
	s.BreakLFS = 1
	dir, err := client(t, s).Snapshot(context.Background(), Ref{Repo: repo.Name})
	if err != nil {
		t.Fatal(err)
	}
	half := len(repo.Files["model.safetensors"]) / 2
	if got := s.LFSRanges(); len(got) != 2 || got[0] != "" || got[1] != "bytes="+strconv.Itoa(half)+"-" {
		t.Errorf("LFS requests' ranges %q, want none then bytes=%d-", got, half)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "model.safetensors")); string(b) != string(repo.Files["model.safetensors"]) {
		t.Error("resumed weights differ")
	}
}

// Workers resolving one model at once share the cache: each file is downloaded once.
func TestConcurrentSnapshotsDownloadOnce(t *testing.T) {
	repo := tinyRepo()
	s := hubtest.New(repo)
	defer s.Close()
	c := client(t, s)
	var wg sync.WaitGroup
	dirs, errs := make([]string, 4), make([]error, 4)
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := *c // one client each, as separate processes would have
			dirs[i], errs[i] = w.Snapshot(context.Background(), Ref{Repo: repo.Name})
		}()
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil || dirs[i] != dirs[0] {
			t.Fatalf("worker %d: %s %v", i, dirs[i], errs[i])
		}
	}
	gets := map[string]int{}
	for _, r := range s.Requests() {
		if strings.HasPrefix(r, "GET ") {
			gets[r]++
		}
	}
	for r, n := range gets {
		if n != 1 {
			t.Errorf("%s: %d times", r, n)
		}
	}
	if len(gets) != 5 { // config, vocab, tokenizer config, and the weights: resolve, then LFS
		t.Errorf("downloads %v", gets)
	}
}

func TestSnapshotFallsBackToPytorchBin(t *testing.T) {
	repo := tinyRepo()
	delete(repo.Files, "model.safetensors")
	s := hubtest.New(repo)
	defer s.Close()
	dir, err := client(t, s).Snapshot(context.Background(), Ref{Repo: repo.Name, Revision: commit})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "pytorch_model.bin")); string(b) != "old pickle" {
		t.Errorf("pytorch_model.bin = %q", b)
	}
}

// A snapshot as huggingface_hub leaves it (blobs, relative links, refs/main), with its own
// optional files missing and no .no_exist markers, is used without asking the hub anything.
func TestExistingSnapshotNeedsNoRequest(t *testing.T) {
	s := hubtest.New()
	defer s.Close()
	c := client(t, s)
	rd := filepath.Join(c.Cache, "models--hfl--chinese-roberta-wwm-ext")
	snap := filepath.Join(rd, "snapshots", commit)
	os.MkdirAll(snap, 0o755)
	os.MkdirAll(filepath.Join(rd, "blobs"), 0o755)
	os.MkdirAll(filepath.Join(rd, "refs"), 0o755)
	os.WriteFile(filepath.Join(rd, "refs", "main"), []byte(commit), 0o644)
	for f, body := range map[string]string{"config.json": "{}", "vocab.txt": "[PAD]\n", "pytorch_model.bin": "w"} {
		etag := hubtest.GitBlobID([]byte(body))
		os.WriteFile(filepath.Join(rd, "blobs", etag), []byte(body), 0o644)
		if err := os.Symlink(filepath.Join("..", "..", "blobs", etag), filepath.Join(snap, f)); err != nil {
			t.Fatal(err)
		}
	}
	c.Endpoint = "http://127.0.0.1:1" // nothing listens: any request would fail
	for _, rev := range []string{"", commit} {
		dir, err := c.Snapshot(context.Background(), Ref{Repo: "hfl/chinese-roberta-wwm-ext", Revision: rev})
		if err != nil || dir != snap {
			t.Errorf("revision %q: %s %v", rev, dir, err)
		}
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests", n)
	}
	// A link whose blob was deleted is a missing file, not a model.
	os.Remove(filepath.Join(rd, "blobs", hubtest.GitBlobID([]byte("w"))))
	if _, missing := c.Cached(Ref{Repo: "hfl/chinese-roberta-wwm-ext"}); len(missing) != 1 || !strings.Contains(missing[0], "pytorch_model.bin") {
		t.Errorf("missing %q", missing)
	}
}

func TestSnapshotErrors(t *testing.T) {
	repo := tinyRepo()
	s := hubtest.New(repo)
	defer s.Close()
	ctx := context.Background()

	c := client(t, s)
	_, err := c.Snapshot(ctx, Ref{Repo: "nobody/nothing"})
	if err == nil || !strings.Contains(err.Error(), "repository not found or not readable (401)") || !strings.Contains(err.Error(), "set HF_TOKEN") {
		t.Errorf("unknown repo: %v", err)
	}
	_, err = c.Snapshot(ctx, Ref{Repo: repo.Name, Revision: "v9"})
	if err == nil || !strings.Contains(err.Error(), `revision "v9" not found`) {
		t.Errorf("unknown revision: %v", err)
	}

	s.Token = "secret"
	_, err = c.Snapshot(ctx, Ref{Repo: repo.Name})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("no token: %v", err)
	}
	c.Token = "wrong"
	if _, err = c.Snapshot(ctx, Ref{Repo: repo.Name}); err == nil || !strings.Contains(err.Error(), "the token sent (HF_TOKEN) cannot read it") {
		t.Errorf("wrong token: %v", err)
	}
	c.Token = "secret"
	if _, err = c.Snapshot(ctx, Ref{Repo: repo.Name}); err != nil {
		t.Errorf("right token: %v", err)
	}
	s.Token = ""

	noVocab := tinyRepo()
	noVocab.Name = "hfl/no-vocab"
	delete(noVocab.Files, "vocab.txt")
	s2 := hubtest.New(noVocab)
	defer s2.Close()
	if _, err = client(t, s2).Snapshot(ctx, Ref{Repo: noVocab.Name}); err == nil || !strings.Contains(err.Error(), "vocab.txt: no such file in the repository") {
		t.Errorf("missing vocab: %v", err)
	}

	off := client(t, s)
	off.Offline = true
	_, err = off.Snapshot(ctx, Ref{Repo: repo.Name})
	if err == nil || !strings.Contains(err.Error(), "HF_HUB_OFFLINE") || !strings.Contains(err.Error(), "config.json, vocab.txt, model.safetensors or pytorch_model.bin") {
		t.Errorf("offline: %v", err)
	}
	if n := len(s.Requests()); n == 0 {
		t.Fatal("no requests recorded at all")
	}
}

func TestFromEnv(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HF_HOME", home)
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HF_TOKEN_PATH", "")
	t.Setenv("HF_ENDPOINT", "http://127.0.0.1:9/")
	t.Setenv("HF_HUB_OFFLINE", "1")
	os.WriteFile(filepath.Join(home, "token"), []byte("hf_abc\n"), 0o600)
	c := FromEnv()
	if c.Cache != filepath.Join(home, "hub") || c.Token != "hf_abc" || c.Endpoint != "http://127.0.0.1:9" || !c.Offline {
		t.Errorf("%+v", c)
	}
	t.Setenv("HF_HUB_CACHE", "/x/hub")
	t.Setenv("HF_TOKEN", "hf_env")
	t.Setenv("HF_HUB_OFFLINE", "0")
	c = FromEnv()
	if c.Cache != "/x/hub" || c.Token != "hf_env" || c.Offline {
		t.Errorf("%+v", c)
	}
}
