package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/clue-bench/clue-bench/internal/atomicfile"
)

// Store is a results directory: cells/<key>.json results, cells/<key>.log logs,
// cells/<key>.claim claims, cells/<key>.dev.json per-example dev statistics,
// predictions/<key>/ test predictions.
type Store struct {
	Dir string
	// Warnf, when set, is told what the store repaired on its own: a stale claim it took
	// over (and why it was stale). Nil discards it.
	Warnf func(format string, a ...any)
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

func (s *Store) warnf(format string, a ...any) {
	if s.Warnf != nil {
		s.Warnf(format, a...)
	}
}

// ResultPath is the cell's result file.
func (s *Store) ResultPath(key string) string { return s.path(key, ".json") }

// LogPath is the per-cell log file.
func (s *Store) LogPath(key string) string { return s.path(key, ".log") }

// WeightsPath is the safetensors file of a cell's trained tensors, beside its result.
func (s *Store) WeightsPath(key string) string { return s.path(key, ".safetensors") }

// DevStatsPath is the file of a cell's per-example dev statistics (DevStats), beside its
// result.
func (s *Store) DevStatsPath(key string) string { return s.path(key, devStatsExt) }

// devStatsExt ends a dev statistics file's name. Keys end in a seed or a grid value (a
// number, true/false or a word), never in ".dev", so no result's name ends so.
const devStatsExt = ".dev.json"

// KeyOfFile returns the cell key of a file name in cells/ when the file is a result
// (<key>.json, not <key>.dev.json).
func KeyOfFile(name string) (string, bool) {
	if !strings.HasSuffix(name, ".json") || strings.HasSuffix(name, devStatsExt) {
		return "", false
	}
	return strings.TrimSuffix(name, ".json"), true
}

// PredDir is where a cell's test predictions go.
func (s *Store) PredDir(key string) string { return filepath.Join(s.Dir, "predictions", key) }

// CorruptError is Read's error for a result file that exists but does not parse. Results are
// written whole by rename, so this is damage (a disk error, an edit, a copy cut short), not a
// write in progress.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s: unreadable result: %v", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Read returns the result for key, nil if there is none. A result file that does not parse
// is a *CorruptError.
func (s *Store) Read(key string) (*Result, error) {
	p := s.path(key, ".json")
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, &CorruptError{Path: p, Err: err}
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

// SetAside renames a cell's result file to <key>.json.corrupt-<UTC time>, out of the way of a
// rerun but kept, and returns the new name. Nothing is replaced: an earlier file set aside
// keeps its name.
func (s *Store) SetAside(key string) (string, error) {
	p := s.path(key, ".json")
	base := p + ".corrupt-" + time.Now().UTC().Format("20060102T150405Z")
	for i := 0; i < 100; i++ {
		dst := base
		if i > 0 {
			dst += "-" + strconv.Itoa(i)
		}
		err := os.Link(p, dst)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("set aside %s: %w", p, err)
		}
		if err := os.Remove(p); err != nil {
			return "", fmt.Errorf("set aside %s: %w", p, err)
		}
		return dst, nil
	}
	return "", fmt.Errorf("set aside %s: %s-* all taken", p, base)
}

// All reads every result in the store, sorted by key.
func (s *Store) All() ([]*Result, error) {
	keys, err := s.Keys()
	if err != nil {
		return nil, err
	}
	var out []*Result
	for _, k := range keys {
		r, err := s.Read(k)
		if err != nil {
			return nil, err
		}
		if r == nil {
			continue // removed since the listing
		}
		if r.Schema != ResultSchema {
			return nil, fmt.Errorf("%s: result schema %d, this build reads %d", s.path(k, ".json"), r.Schema, ResultSchema)
		}
		out = append(out, r)
	}
	return out, nil
}

// Keys lists the keys of the cells that have a result file, sorted.
func (s *Store) Keys() ([]string, error) {
	files, err := filepath.Glob(filepath.Join(s.Dir, "cells", "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	keys := make([]string, 0, len(files))
	for _, f := range files {
		if k, ok := KeyOfFile(filepath.Base(f)); ok {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// TempMaxAge is how old a temporary file must be before CleanTemps removes it when its name
// does not say that its writer is gone: one written on another host, or by an older version.
// A writer keeps a temporary file for the moments of one write; an hour leaves room for a
// hung network file system and for clock skew between hosts.
const TempMaxAge = time.Hour

// CleanTemps removes the temporary files left in the results directory, cells/ and the
// prediction directories of the given cells by writers that were killed (see
// atomicfile.CleanTemps), and returns their names. A live writer's file is never removed.
func (s *Store) CleanTemps(keys []string) ([]string, error) {
	dirs := []string{s.Dir, filepath.Join(s.Dir, "cells")}
	for _, k := range keys {
		dirs = append(dirs, s.PredDir(k))
	}
	var removed []string
	var errs []error
	for _, d := range dirs {
		r, err := atomicfile.CleanTemps(d, TempMaxAge)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		removed = append(removed, r...)
		errs = append(errs, err)
	}
	return removed, errors.Join(errs...)
}

// Claims. A worker creates cells/<key>.claim before running a cell, so that two processes
// sharing the results directory never run the same cell. The claim holds the host and pid
// and is touched while the cell runs; a claim whose process is gone (same host), that has
// not been touched for ClaimTTL or that cannot be read is stale and may be taken over.
//
// The claim's content is written to a temporary file first and hard-linked to the claim's
// name: link(2) fails when the name exists, like an O_EXCL create, but the claim appears with
// its content whole. So no claim is ever seen half-written, and a write that fails (a full
// disk) leaves no claim behind. An unreadable claim is thus damage, and stale at once.

// ClaimTTL is how long a claim stays live without a Touch; a worker running a cell touches
// its claim several times within it.
const ClaimTTL = 10 * time.Minute

type claim struct {
	Host string    `json:"host"`
	PID  int       `json:"pid"`
	At   time.Time `json:"at"`
}

// claimState is what a look at a claim file found.
type claimState struct {
	exists bool
	info   fs.FileInfo // nil when the file could not be looked at
	raw    []byte      // the file's content
	holder claim       // zero when the file could not be read
	stale  bool
	why    string // why it is stale
}

// Claim tries to take the cell; false means another live worker holds it. A stale claim is
// taken over (said through Warnf). The error names the claim file.
func (s *Store) Claim(key string) (bool, error) {
	p := s.path(key, ".claim")
	host, _ := os.Hostname()
	b, err := json.Marshal(claim{Host: host, PID: os.Getpid(), At: time.Now().UTC()})
	if err != nil {
		return false, err
	}
	tmp, err := atomicfile.WriteTemp(p, append(b, '\n'))
	if err != nil {
		return false, fmt.Errorf("claim: %w", err)
	}
	defer os.Remove(tmp)
	for attempt := 0; attempt < 3; attempt++ {
		err := os.Link(tmp, p)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return false, fmt.Errorf("claim %s: %w", p, err)
		}
		// Over NFS a retried LINK whose first try succeeded answers EEXIST: the claim is
		// ours if the name is our file.
		if sameFile(tmp, p) {
			return true, nil
		}
		cs := s.inspect(p)
		switch {
		case !cs.exists:
			continue // released meanwhile
		case !cs.stale:
			return false, nil
		case !s.takeOver(p, cs, "taking over"):
			return false, nil
		}
	}
	return false, nil
}

// takeOver moves the stale claim cs out of the way and reports whether it did. Of several
// workers that find the same claim stale, one renames it; it then checks that what it moved
// is the claim it judged (not a fresh one another worker linked in meanwhile) and puts back
// one it moved by mistake.
func (s *Store) takeOver(p string, cs claimState, doing string) bool {
	aside := atomicfile.TempName(p) // CleanTemps removes it should we die right here
	if err := os.Rename(p, aside); err != nil {
		return false // another worker took it over first, or it was released
	}
	defer os.Remove(aside)
	// The same inode is not proof enough: a file system may give a freed inode to the
	// next new file at once. A claim's content names its holder and the time it was made.
	moved, err := os.Lstat(aside)
	if err != nil {
		return false
	}
	raw, err := os.ReadFile(aside)
	if err != nil || !os.SameFile(moved, cs.info) || !moved.ModTime().Equal(cs.info.ModTime()) || !bytes.Equal(raw, cs.raw) {
		if err := os.Link(aside, p); err != nil {
			s.warnf("%s: a live claim was moved aside while taking over a stale one and cannot be put back (%v); the cell may run twice", p, err)
		}
		return false
	}
	s.warnf("%s: %s a stale claim: %s", p, doing, cs.why)
	return true
}

// DropStale removes the claim on key when it is stale, and reports whether it did (said
// through Warnf). A worker killed after recording its cell and before releasing the claim
// leaves a claim that no later worker takes over, since the cell needs no run; whoever finds
// the cell recorded calls this. A live claim is left alone.
func (s *Store) DropStale(key string) bool {
	p := s.path(key, ".claim")
	cs := s.inspect(p)
	return cs.exists && cs.stale && s.takeOver(p, cs, "removing")
}

// Claimed reports whether a live claim exists for key.
func (s *Store) Claimed(key string) bool {
	cs := s.inspect(s.path(key, ".claim"))
	return cs.exists && !cs.stale
}

// Holder describes the live claim on key ("pid 12 on node3, touched 40s ago"); "" when
// there is none.
func (s *Store) Holder(key string) string {
	cs := s.inspect(s.path(key, ".claim"))
	switch {
	case !cs.exists || cs.stale:
		return ""
	case cs.info == nil || cs.holder.PID == 0:
		return "a worker whose claim cannot be read"
	}
	return fmt.Sprintf("pid %d on %s, touched %s ago", cs.holder.PID, cs.holder.Host, time.Since(cs.info.ModTime()).Round(time.Second))
}

// inspect looks at the claim file p. Only what shows the holder gone makes a claim stale: an
// error that hides the holder (a claim file that cannot be opened) leaves it live.
func (s *Store) inspect(p string) claimState {
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return claimState{}
	}
	cs := claimState{exists: true, info: st}
	if err != nil {
		return cs
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return claimState{}
	}
	readable := err == nil
	cs.raw = b
	var bad error
	if readable {
		if bad = json.Unmarshal(b, &cs.holder); bad == nil && (cs.holder.Host == "" || cs.holder.PID <= 0) {
			bad = errors.New("no host or pid")
		}
	}
	host, _ := os.Hostname()
	switch age := time.Since(st.ModTime()); {
	case age > ClaimTTL:
		cs.stale, cs.why = true, fmt.Sprintf("not touched for %s", age.Round(time.Second))
	case readable && bad != nil:
		cs.stale, cs.why = true, fmt.Sprintf("it cannot be read (%v)", bad)
	case readable && cs.holder.Host == host && !atomicfile.ProcessAlive(cs.holder.PID):
		cs.stale, cs.why = true, fmt.Sprintf("its worker, pid %d on %s, is gone", cs.holder.PID, host)
	}
	return cs
}

func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// Touch refreshes a claim's time so that others see the worker alive.
func (s *Store) Touch(key string) {
	now := time.Now()
	os.Chtimes(s.path(key, ".claim"), now, now)
}

// Release removes the claim on key if this process holds it: a worker whose claim went stale
// and was taken over (it was stopped for longer than ClaimTTL) leaves the new holder's alone.
func (s *Store) Release(key string) {
	p := s.path(key, ".claim")
	host, _ := os.Hostname()
	if cs := s.inspect(p); cs.holder.PID == os.Getpid() && cs.holder.Host == host {
		os.Remove(p)
	}
}
