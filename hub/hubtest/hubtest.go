package hubtest

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Repo is one model repository at one commit.
type Repo struct {
	Name   string            // "owner/name"
	Commit string            // 40 hex digits
	Files  map[string][]byte // path → contents
	LFS    map[string]bool   // paths stored in LFS (served by redirect, ETag = sha256)
}

// Server is the stand-in hub. Token, when set, is required as a bearer token. BreakLFS is
// how many LFS downloads (GET) to break off half-way, dropping the connection.
type Server struct {
	*httptest.Server
	Token    string
	BreakLFS int

	mu    sync.Mutex
	repos map[string]*Repo
	log   []string
	// ranges are the Range headers of the LFS requests, in order.
	ranges []string
}

// New starts a server with repos on 127.0.0.1; Close stops it.
func New(repos ...*Repo) *Server {
	s := &Server{repos: map[string]*Repo{}}
	for _, r := range repos {
		s.repos[r.Name] = r
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Requests lists the requests so far as "METHOD path".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// LFSRanges lists the Range headers of the LFS downloads so far ("" for none).
func (s *Server) LFSRanges() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

// SHA256 and GitBlobID are the two ETag forms of the hub.
func SHA256(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func GitBlobID(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.log = append(s.log, r.Method+" "+r.URL.Path)
	if strings.HasPrefix(r.URL.Path, "/lfs/") && r.Method == http.MethodGet {
		s.ranges = append(s.ranges, r.Header.Get("Range"))
	}
	s.mu.Unlock()
	if s.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.Token {
		w.Header().Set("X-Error-Code", "RepoNotFound")
		http.Error(w, "Invalid credentials", http.StatusUnauthorized)
		return
	}
	if sum, ok := strings.CutPrefix(r.URL.Path, "/lfs/"); ok {
		for _, repo := range s.repos {
			for f, b := range repo.Files {
				if repo.LFS[f] && SHA256(b) == sum {
					s.mu.Lock()
					cut := r.Method == http.MethodGet && s.BreakLFS > 0
					if cut {
						s.BreakLFS--
					}
					s.mu.Unlock()
					if cut {
						w.Header().Set("Content-Length", strconv.Itoa(len(b)))
						// Fewer bytes than the declared length: the server closes the
						// connection, and the client sees the body end early.
						w.Write(b[:len(b)/2])
						return
					}
					http.ServeContent(w, r, f, time.Time{}, bytes.NewReader(b))
					return
				}
			}
		}
		http.NotFound(w, r)
		return
	}
	parts := strings.SplitN(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/", 5)
	if len(parts) < 5 || parts[2] != "resolve" {
		http.NotFound(w, r)
		return
	}
	repo := s.repos[parts[0]+"/"+parts[1]]
	if repo == nil {
		w.Header().Set("X-Error-Code", "RepoNotFound")
		http.Error(w, "Repository not found", http.StatusUnauthorized)
		return
	}
	if rev := parts[3]; rev != "main" && rev != repo.Commit {
		w.Header().Set("X-Error-Code", "RevisionNotFound")
		http.Error(w, "Invalid rev id: "+rev, http.StatusNotFound)
		return
	}
	w.Header().Set("X-Repo-Commit", repo.Commit)
	file := parts[4]
	b, ok := repo.Files[file]
	if !ok {
		w.Header().Set("X-Error-Code", "EntryNotFound")
		http.Error(w, "Entry not found", http.StatusNotFound)
		return
	}
	if repo.LFS[file] {
		sum := SHA256(b)
		w.Header().Set("X-Linked-Etag", `"`+sum+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(b)))
		w.Header().Set("ETag", `"`+GitBlobID([]byte("lfs pointer "+sum))+`"`)
		http.Redirect(w, r, s.URL+"/lfs/"+sum, http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+GitBlobID(b)+`"`)
	http.ServeContent(w, r, file, time.Time{}, bytes.NewReader(b))
}
