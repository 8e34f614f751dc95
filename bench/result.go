package bench

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
)

// ResultSchema is bumped when Result changes incompatibly; reports refuse other versions.
const ResultSchema = 1

const (
	ResultOK     = "ok"
	ResultFailed = "failed"
)

// Metric describes one reported metric.
type Metric struct {
	Name           string `json:"name"`
	HigherIsBetter bool   `json:"higher_is_better"`
}

// EvalPoint is one dev evaluation during training.
type EvalPoint struct {
	Step      int                `json:"step"`  // optimiser steps done
	Epoch     float64            `json:"epoch"` // fractional epochs done
	TrainLoss float64            `json:"train_loss"`
	LR        float64            `json:"lr"`
	Dev       map[string]float64 `json:"dev"`
	ElapsedS  float64            `json:"elapsed_s"` // training time so far
}

// Convergence summarises the dev curve of the headline metric.
type Convergence struct {
	BestStep int `json:"best_step"`
	Step95   int `json:"step_95"` // first evaluation reaching 95% of the best value
	Step99   int `json:"step_99"`
}

// Params counts parameters; Ratio = Trainable / Total.
type Params struct {
	Trainable          int64   `json:"trainable"`
	TrainableBackbone  int64   `json:"trainable_backbone"`
	Head               int64   `json:"head"`
	Total              int64   `json:"total"`
	Ratio              float64 `json:"ratio"`
	RatioEncoderLayers float64 `json:"ratio_encoder_layers"`
}

// Timing in seconds.
type Timing struct {
	WallS      float64 `json:"wall_s"`
	TrainS     float64 `json:"train_s"` // forward, backward and optimiser steps
	EvalS      float64 `json:"eval_s"`
	SetupS     float64 `json:"setup_s"` // data reading, tokenisation, model building and loading
	MeanStepMS float64 `json:"mean_step_ms"`
}

// Memory peaks in MiB.
type Memory struct {
	PeakRSSMiB    float64 `json:"peak_rss_mib"`
	PeakDeviceMiB float64 `json:"peak_device_mib,omitempty"`
}

// Provenance records where and with what a result was produced.
type Provenance struct {
	GitCommit  string    `json:"git_commit"`
	GitDirty   bool      `json:"git_dirty"`
	Go         string    `json:"go"`
	Gotch      string    `json:"gotch"`
	Libtorch   string    `json:"libtorch"`
	BLAS       string    `json:"blas"`
	Threads    int       `json:"threads"`
	Device     string    `json:"device"`
	DeviceName string    `json:"device_name"`
	Host       string    `json:"host"`
	Seed       int64     `json:"seed"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

// DataStats counts examples used.
type DataStats struct {
	Train int `json:"train"`
	Dev   int `json:"dev"`
	Test  int `json:"test"`
}

// Result is everything recorded about one cell; one JSON file per cell.
type Result struct {
	Schema      int                `json:"schema"`
	Cell        Cell               `json:"cell"`
	Status      string             `json:"status"`
	Error       string             `json:"error,omitempty"`
	Flags       []string           `json:"flags,omitempty"` // e.g. "majority-class"
	Metrics     []Metric           `json:"metrics"`         // first is the headline
	Best        map[string]float64 `json:"best_dev"`
	Curve       []EvalPoint        `json:"curve"`
	Convergence Convergence        `json:"convergence"`
	Params      Params             `json:"params"`
	Steps       int                `json:"steps"`
	Time        Timing             `json:"time"`
	Memory      Memory             `json:"memory"`
	Provenance  Provenance         `json:"provenance"`
	Data        DataStats          `json:"data"`
	Predictions string             `json:"predictions,omitempty"` // test submission file, relative to the results dir
	Log         string             `json:"log,omitempty"`
}

// Headline returns the headline metric and its best dev value.
func (r *Result) Headline() (Metric, float64, bool) {
	if len(r.Metrics) == 0 {
		return Metric{}, 0, false
	}
	v, ok := r.Best[r.Metrics[0].Name]
	return r.Metrics[0], v, ok
}

// ConvergenceOf computes convergence steps from a curve for a metric.
func ConvergenceOf(curve []EvalPoint, m Metric) Convergence {
	var c Convergence
	best, found := 0.0, false
	for _, p := range curve {
		v, ok := p.Dev[m.Name]
		if !ok {
			continue
		}
		if !found || better(v, best, m.HigherIsBetter) {
			best, c.BestStep, found = v, p.Step, true
		}
	}
	if !found {
		return c
	}
	reach := func(frac float64) int {
		for _, p := range curve {
			v, ok := p.Dev[m.Name]
			if !ok {
				continue
			}
			if (m.HigherIsBetter && v >= frac*best) || (!m.HigherIsBetter && v <= best/frac) {
				return p.Step
			}
		}
		return c.BestStep
	}
	c.Step95, c.Step99 = reach(0.95), reach(0.99)
	return c
}

func better(v, than float64, higher bool) bool {
	if higher {
		return v > than
	}
	return v < than
}

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
	return WriteFileAtomic(s.path(r.Cell.Key(), ".json"), append(b, '\n'))
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

// WriteFileAtomic writes data to a temporary file in the same directory and renames it.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Claims. A worker creates cells/<key>.claim with O_EXCL before running a cell, so that two
// processes sharing the results directory never run the same cell. The claim holds the host
// and pid and is touched while the cell runs; a claim whose process is gone (same host) or
// that has not been touched for claimTTL is stale and may be taken over.

const claimTTL = 10 * time.Minute

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
	if time.Since(st.ModTime()) > claimTTL {
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
