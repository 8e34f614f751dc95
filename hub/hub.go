package hub

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/clue-bench/clue-bench/internal/atomicfile"
	"github.com/clue-bench/clue-bench/internal/download"
)

// Ref names a model repository on the hub and a revision (branch, tag or commit; "" is main).
type Ref struct {
	Repo     string // "owner/name"
	Revision string
}

func (r Ref) String() string {
	if r.Revision == "" {
		return r.Repo
	}
	return r.Repo + "@" + r.Revision
}

func (r Ref) revision() string {
	if r.Revision == "" {
		return "main"
	}
	return r.Revision
}

// refForm is owner/name with the hub's characters (letters, digits, '-', '_', '.'), and an
// optional @revision (branch and tag names may hold '/').
var refForm = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9_.-]*)/([A-Za-z0-9][A-Za-z0-9_.-]*)(?:@([A-Za-z0-9_.][A-Za-z0-9_./-]*))?$`)

// ParseRef reads "owner/name" or "owner/name@revision". It says only whether s has that
// form: whether s is meant as a hub name or as a relative path is the caller's decision
// (see IsRef).
func ParseRef(s string) (Ref, bool) {
	m := refForm.FindStringSubmatch(s)
	if m == nil || strings.Contains(s, "--") || strings.Contains(s, "..") || strings.HasSuffix(m[3], "/") {
		return Ref{}, false
	}
	return Ref{Repo: m[1] + "/" + m[2], Revision: m[3]}, true
}

// IsRef decides whether a backbone value names a hub model rather than a directory: it has
// the form owner/name[@revision] and path, where the value would be read as a directory
// (relative to its config file), does not exist. So a value starting with "/", "./", "../"
// or "~" is always a path, a directory "hfl/chinese-roberta-wwm-ext" beside the config is
// still used as a directory, and the same value names the hub model where there is none.
func IsRef(value, path string) bool {
	if _, ok := ParseRef(value); !ok {
		return false
	}
	_, err := os.Lstat(path)
	return errors.Is(err, fs.ErrNotExist)
}

// Required are the files a backbone directory must have; weights are one of Weights, the
// first the repository has; Optional files are fetched when the repository has them.
var (
	Required = []string{"config.json", "vocab.txt"}
	Weights  = []string{"model.safetensors", "pytorch_model.bin"}
	Optional = []string{"tokenizer_config.json", "special_tokens_map.json"}
)

// Client resolves and fetches models. FromEnv makes one from the environment.
type Client struct {
	Endpoint string // https://huggingface.co
	Token    string // sent as a bearer token when not empty
	Offline  bool   // never make a request
	Cache    string // the hub cache directory
	// HTTP makes the metadata requests (HEAD); Download fetches the files.
	HTTP     *http.Client
	Download *download.Client
}

// FromEnv reads HF_ENDPOINT, HF_TOKEN (else the token file huggingface-cli login writes:
// $HF_TOKEN_PATH, else $HF_HOME/token), HF_HUB_OFFLINE and the cache location.
func FromEnv() *Client {
	c := &Client{Endpoint: "https://huggingface.co", Cache: CacheDir(), Download: &download.Client{}}
	if e := strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/"); e != "" {
		c.Endpoint = e
	}
	c.Token = os.Getenv("HF_TOKEN")
	if c.Token == "" {
		p := expandHome(os.Getenv("HF_TOKEN_PATH"))
		if p == "" {
			p = filepath.Join(hfHome(), "token")
		}
		if b, err := os.ReadFile(p); err == nil {
			c.Token = strings.TrimSpace(string(b))
		}
	}
	switch strings.ToUpper(strings.TrimSpace(os.Getenv("HF_HUB_OFFLINE"))) {
	case "1", "ON", "YES", "TRUE":
		c.Offline = true
	}
	return c
}

// CacheDir is the hub cache: $HF_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub or ~/.cache/huggingface/hub, as huggingface_hub picks it.
func CacheDir() string {
	if d := expandHome(os.Getenv("HF_HUB_CACHE")); d != "" {
		return d
	}
	return filepath.Join(hfHome(), "hub")
}

func hfHome() string {
	if d := expandHome(os.Getenv("HF_HOME")); d != "" {
		return d
	}
	if d := expandHome(os.Getenv("XDG_CACHE_HOME")); d != "" {
		return filepath.Join(d, "huggingface")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "huggingface")
	}
	return filepath.Join(home, ".cache", "huggingface")
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// RepoDir is the repository's folder in the cache.
func (c *Client) RepoDir(r Ref) string {
	return filepath.Join(c.Cache, "models--"+strings.ReplaceAll(r.Repo, "/", "--"))
}

var commitForm = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Cached is what the cache holds for r, without any request: the snapshot directory (""
// when the revision was never resolved here) and the files a backbone needs that it lacks.
func (c *Client) Cached(r Ref) (dir string, missing []string) {
	commit := c.commitOf(r)
	if commit == "" {
		return "", append(append([]string{}, Required...), strings.Join(Weights, " or "))
	}
	dir = filepath.Join(c.RepoDir(r), "snapshots", commit)
	for _, f := range Required {
		if !isFile(filepath.Join(dir, f)) {
			missing = append(missing, f)
		}
	}
	if weightsIn(dir) == "" {
		missing = append(missing, strings.Join(Weights, " or "))
	}
	return dir, missing
}

// commitOf is the commit r stands for in the cache: the revision itself when it is a commit
// id, else what refs/<revision> says; "" when unknown.
func (c *Client) commitOf(r Ref) string {
	rev := r.revision()
	if commitForm.MatchString(rev) {
		return rev
	}
	b, err := os.ReadFile(filepath.Join(c.RepoDir(r), "refs", filepath.FromSlash(rev)))
	if err != nil {
		return ""
	}
	if s := strings.TrimSpace(string(b)); commitForm.MatchString(s) {
		return s
	}
	return ""
}

func weightsIn(dir string) string {
	for _, w := range Weights {
		if isFile(filepath.Join(dir, w)) {
			return w
		}
	}
	return ""
}

// isFile follows symbolic links: a snapshot link to a missing blob is a missing file.
func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// Snapshot returns the directory of r's snapshot with the backbone's files, fetching the
// missing ones. A complete snapshot in the cache is returned without any request.
func (c *Client) Snapshot(ctx context.Context, r Ref) (string, error) {
	dir, missing := c.Cached(r)
	if len(missing) == 0 {
		return dir, nil
	}
	if c.Offline {
		where := c.RepoDir(r)
		if dir != "" {
			where = dir
		}
		return "", fmt.Errorf("hub %s: HF_HUB_OFFLINE is set and the cache (%s) lacks %s; run `bench fetch model %s` where the hub can be reached and copy the cache, or unset HF_HUB_OFFLINE",
			r, where, strings.Join(missing, ", "), r)
	}
	// Resolve the revision once, from config.json, and take every file from that commit, so
	// that a branch moving in between cannot mix two versions.
	meta, err := c.head(ctx, r, r.revision(), "config.json")
	if err != nil {
		return "", err
	}
	if meta.commit == "" {
		return "", fmt.Errorf("hub %s: %s sent no X-Repo-Commit header; is HF_ENDPOINT a Hugging Face hub?", r, c.Endpoint)
	}
	commit := meta.commit
	dir = filepath.Join(c.RepoDir(r), "snapshots", commit)
	for _, f := range Required {
		if err := c.ensure(ctx, r, commit, f, dir); err != nil {
			return "", err
		}
	}
	if weightsIn(dir) == "" {
		var tried []string
		for _, w := range Weights {
			err := c.ensure(ctx, r, commit, w, dir)
			if err == nil {
				break
			}
			if !errors.Is(err, errNoFile) {
				return "", err
			}
			tried = append(tried, w)
		}
		if len(tried) == len(Weights) {
			return "", fmt.Errorf("hub %s: the repository has no weights at %s (looked for %s)", r, commit, strings.Join(Weights, ", "))
		}
	}
	for _, f := range Optional {
		if err := c.ensure(ctx, r, commit, f, dir); err != nil && !errors.Is(err, errNoFile) {
			return "", err
		}
	}
	if rev := r.revision(); rev != commit {
		ref := filepath.Join(c.RepoDir(r), "refs", filepath.FromSlash(rev))
		if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
			return "", fmt.Errorf("hub %s: %w", r, err)
		}
		if err := atomicfile.Write(ref, []byte(commit)); err != nil {
			return "", fmt.Errorf("hub %s: %w", r, err)
		}
	}
	return dir, nil
}

// errNoFile is a file the repository does not have (404 EntryNotFound).
var errNoFile = errors.New("no such file in the repository")

// ensure puts file of r at commit into the snapshot dir, fetching its blob unless the cache
// has it. A file the repository lacks is recorded under .no_exist, as huggingface_hub does,
// and reported as errNoFile.
func (c *Client) ensure(ctx context.Context, r Ref, commit, file, dir string) error {
	link := filepath.Join(dir, file)
	if isFile(link) {
		return nil
	}
	noExist := filepath.Join(c.RepoDir(r), ".no_exist", commit, file)
	if _, err := os.Stat(noExist); err == nil {
		return fmt.Errorf("hub %s: %s: %w", r, file, errNoFile)
	}
	meta, err := c.head(ctx, r, commit, file)
	if errors.Is(err, errNoFile) {
		if err := os.MkdirAll(filepath.Dir(noExist), 0o755); err == nil {
			_ = os.WriteFile(noExist, nil, 0o644) // a marker only: without it the next run asks again
		}
		return err
	}
	if err != nil {
		return err
	}
	if !etagForm.MatchString(meta.etag) {
		return fmt.Errorf("hub %s: %s: no usable ETag in the response (%q), so the file cannot be verified", r, file, meta.etag)
	}
	blob := filepath.Join(c.RepoDir(r), "blobs", meta.etag)
	if !isFile(blob) {
		want := download.Want{Size: meta.size}
		switch {
		case sha256Form.MatchString(meta.etag):
			want.SHA256 = meta.etag // LFS files: the ETag is the content's sha256
		case commitForm.MatchString(meta.etag):
			want.GitSHA1 = meta.etag // other files: the git blob id
		}
		dl := c.Download
		if dl == nil {
			dl = &download.Client{}
		}
		_, err := dl.Fetch(ctx, download.Request{
			URL:     c.resolveURL(r, commit, file),
			Dest:    blob,
			Name:    r.Repo + "/" + file,
			Header:  c.auth(),
			Want:    want,
			Lock:    filepath.Join(c.Cache, ".locks", filepath.Base(c.RepoDir(r)), meta.etag+".lock"),
			Partial: blob + ".incomplete",
		})
		if err != nil {
			return c.explain(r, file, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return fmt.Errorf("hub %s: %w", r, err)
	}
	rel, err := filepath.Rel(filepath.Dir(link), blob)
	if err != nil {
		return fmt.Errorf("hub %s: %w", r, err)
	}
	if _, err := os.Lstat(link); err == nil {
		_ = os.Remove(link) // a dangling link to a blob deleted since (isFile said so above)
	}
	if err := os.Symlink(rel, link); err != nil && !isFile(link) {
		return fmt.Errorf("hub %s: link %s: %w", r, link, err)
	}
	return nil
}

var sha256Form = regexp.MustCompile(`^[0-9a-f]{64}$`)

// etagForm is an ETag that can name a blob file: no separators, not "." or "..".
var etagForm = regexp.MustCompile(`^[0-9A-Za-z_-][0-9A-Za-z._-]*$`)

type fileMeta struct {
	commit, etag string
	size         int64
}

// head asks for a file's metadata: its commit, ETag and size. LFS files answer with a
// redirect to their storage, whose headers (X-Linked-Etag, X-Linked-Size) are the ones
// wanted, so only redirects within the hub (renamed repositories) are followed.
func (c *Client) head(ctx context.Context, r Ref, rev, file string) (fileMeta, error) {
	u := c.resolveURL(r, rev, file)
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return fileMeta{}, fmt.Errorf("hub %s: %w", r, err)
	}
	req.Header = c.auth()
	req.Header.Set("Accept-Encoding", "identity")
	httpc := http.Client{CheckRedirect: func(next *http.Request, via []*http.Request) error {
		// huggingface_hub's rule: a relative Location is the hub itself (a renamed
		// repository); an absolute one is the file's storage.
		if next.Response != nil {
			if loc, err := url.Parse(next.Response.Header.Get("Location")); err != nil || loc.IsAbs() || loc.Host != "" {
				return http.ErrUseLastResponse
			}
		}
		if len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	httpc.Transport = download.Transport
	if c.HTTP != nil && c.HTTP.Transport != nil {
		httpc.Transport = c.HTTP.Transport
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return fileMeta{}, fmt.Errorf("hub %s: %s: %w", r, file, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fileMeta{}, c.explain(r, file, &download.HTTPError{URL: u, StatusCode: resp.StatusCode, ErrorCode: resp.Header.Get("X-Error-Code")})
	}
	m := fileMeta{commit: resp.Header.Get("X-Repo-Commit")}
	m.etag = resp.Header.Get("X-Linked-Etag")
	if m.etag == "" {
		m.etag = resp.Header.Get("ETag")
	}
	m.etag = strings.Trim(strings.TrimPrefix(m.etag, "W/"), `"`)
	size := resp.Header.Get("X-Linked-Size")
	if size == "" {
		size = resp.Header.Get("Content-Length")
	}
	if n, err := strconv.ParseInt(size, 10, 64); err == nil && n > 0 {
		m.size = n
	}
	return m, nil
}

// explain turns the hub's error answers into messages that say what to do.
func (c *Client) explain(r Ref, file string, err error) error {
	var he *download.HTTPError
	if !errors.As(err, &he) {
		return fmt.Errorf("hub %s: %s: %w", r, file, err)
	}
	switch {
	case he.ErrorCode == "EntryNotFound" || (he.StatusCode == http.StatusNotFound && he.ErrorCode == ""):
		return fmt.Errorf("hub %s: %s: %w", r, file, errNoFile)
	case he.ErrorCode == "RevisionNotFound":
		return fmt.Errorf("hub %s: revision %q not found (%s)", r, r.revision(), he.URL)
	case he.ErrorCode == "GatedRepo":
		return fmt.Errorf("hub %s: the repository is gated: accept its terms on the hub and set HF_TOKEN to a token of that account (%v)", r, he)
	case he.StatusCode == http.StatusUnauthorized || he.StatusCode == http.StatusForbidden || he.ErrorCode == "RepoNotFound":
		tok := "no token was sent: set HF_TOKEN if it is private"
		if c.Token != "" {
			tok = "the token sent (HF_TOKEN) cannot read it"
		}
		return fmt.Errorf("hub %s: repository not found or not readable (%d); check the name; %s", r, he.StatusCode, tok)
	}
	return fmt.Errorf("hub %s: %s: %w", r, file, err)
}

func (c *Client) resolveURL(r Ref, rev, file string) string {
	return c.Endpoint + "/" + r.Repo + "/resolve/" + url.PathEscape(rev) + "/" + file
}

func (c *Client) auth() http.Header {
	h := http.Header{"User-Agent": {"clue-bench"}}
	if c.Token != "" {
		h.Set("Authorization", "Bearer "+c.Token)
	}
	return h
}
