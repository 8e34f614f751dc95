package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/clue-bench/clue-bench/internal/atomicfile"
)

// Store is a results directory: cells/<key>.json results, cells/<key>.log logs,
// cells/<key>.claim claims, predictions/<key>/ test predictions.
type Store struct {
	Dir string
}

// OpenStore creates the directory layout if needed.
func OpenStore(dir string) (*Store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "cells"), filepath.Join(dir, "predictions")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("results dir: %w", err)
		}
	}
	return &Store{Dir: dir}, nil
}

func (s *Store) path(key, ext string) string { return filepath.Join(s.Dir, "cells", key+ext) }

// LogPath is the per-cell log file.
func (s *Store) LogPath(key string) string { return s.path(key, ".log") }

// PredDir is where a cell's test predictions go.
func (s *Store) PredDir(key string) string { return filepath.Join(s.Dir, "predictions", key) }

// Read returns the result for key, nil if there is none.
func (s *Store) Read(key string) (*Result, error) {
	b, err := os.ReadFile(s.path(key, ".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path(key, ".json"), err)
	}
	return &r, nil
}

// Write stores a result atomically: a reader sees the old file or the new one, never a mix.
func (s *Store) Write(r *Result) error {
	r.Schema = ResultSchema
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(s.path(r.Cell.Key(), ".json"), append(b, '\n'))
}

// All reads every result in the store, sorted by key.
func (s *Store) All() ([]*Result, error) {
	files, err := filepath.Glob(filepath.Join(s.Dir, "cells", "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []*Result
	for _, f := range files {
		r, err := s.Read(strings.TrimSuffix(filepath.Base(f), ".json"))
		if err != nil {
			return nil, err
		}
		if r.Schema != ResultSchema {
			return nil, fmt.Errorf("%s: result schema %d, this build reads %d", f, r.Schema, ResultSchema)
		}
		out = append(out, r)
	}
	return out, nil
}

// Claims. A worker creates cells/<key>.claim with O_EXCL before running a cell, so that two
// processes sharing the results directory never run the same cell. The claim holds the host
// and pid and is touched while the cell runs; a claim whose process is gone (same host) or
// that has not been touched for ClaimTTL is stale and may be taken over.

// ClaimTTL is how long a claim stays live without a Touch; a worker running a cell touches
// its claim several times within it.
const ClaimTTL = 10 * time.Minute

type claim struct {
	Host string    `json:"host"`
	PID  int       `json:"pid"`
	At   time.Time `json:"at"`
}

// Claim tries to take the cell; false means another live worker holds it.
func (s *Store) Claim(key string) (bool, error) {
	p := s.path(key, ".claim")
	host, _ := os.Hostname()
	b, _ := json.Marshal(claim{Host: host, PID: os.Getpid(), At: time.Now().UTC()})
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			_, werr := f.Write(b)
			cerr := f.Close()
			return true, errors.Join(werr, cerr)
		}
		if !errors.Is(err, fs.ErrExist) {
			return false, fmt.Errorf("claim %s: %w", p, err)
		}
		if !s.claimStale(p) {
			return false, nil
		}
		// Take over a dead worker's claim: rename it away first so that only one of several
		// racing workers succeeds in removing it.
		if err := os.Rename(p, p+".stale."+strconv.Itoa(os.Getpid())); err != nil {
			return false, nil
		}
		os.Remove(p + ".stale." + strconv.Itoa(os.Getpid()))
	}
	return false, nil
}

// Claimed reports whether a live claim exists for key.
func (s *Store) Claimed(key string) bool {
	p := s.path(key, ".claim")
	if _, err := os.Stat(p); err != nil {
		return false
	}
	return !s.claimStale(p)
}

func (s *Store) claimStale(p string) bool {
	st, err := os.Stat(p)
	if err != nil {
		return true
	}
	if time.Since(st.ModTime()) > ClaimTTL {
		return true
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return false
	}
	var c claim
	if json.Unmarshal(b, &c) != nil {
		return time.Since(st.ModTime()) > time.Minute // half-written by a crashed worker
	}
	host, _ := os.Hostname()
	if c.Host == host && c.PID > 0 && syscall.Kill(c.PID, 0) == syscall.ESRCH {
		return true
	}
	return false
}

// Touch refreshes a claim's time so that others see the worker alive.
func (s *Store) Touch(key string) {
	now := time.Now()
	os.Chtimes(s.path(key, ".claim"), now, now)
}

// Release removes a claim.
func (s *Store) Release(key string) { os.Remove(s.path(key, ".claim")) }
