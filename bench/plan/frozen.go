package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clue-bench/clue-bench/internal/atomicfile"
	"github.com/clue-bench/clue-bench/internal/jsonerr"
)

// FrozenSchema is bumped when Frozen changes incompatibly; ReadFrozen refuses other versions.
const FrozenSchema = 1

// Frozen is a plan written down once so that many independent processes (array jobs, pods,
// per-device workers) agree on the cells and their order without re-reading the config:
// a worker given index i runs Cells[i]. Paths are absolute so that the file means the same
// from any working directory; "builtin" stays as is and is resolved by each worker.
type Frozen struct {
	Schema   int    `json:"schema"`
	Config   string `json:"config"`   // the config it was frozen from, for reference only
	Backbone string `json:"backbone"` // HF model directory, or "builtin"
	DataDir  string `json:"data_dir"` // CLUE data directory, or "builtin"
	Out      string `json:"out"`      // results directory
	Device   string `json:"device"`
	Threads  int    `json:"threads"`
	Cells    []Cell `json:"cells"` // in the config's fixed order; a cell's index is its position
}

// Freeze captures a config's resolved settings and its (already filtered) cells.
func Freeze(cfg *Config, cells []Cell, out string) (*Frozen, error) {
	if len(cells) == 0 {
		return nil, errors.New("no cells to freeze")
	}
	if out == "" {
		out = cfg.Out
	}
	f := &Frozen{Schema: FrozenSchema, Config: cfg.Path, Backbone: cfg.Backbone, DataDir: cfg.DataDir,
		Out: out, Device: cfg.Device, Threads: cfg.Threads, Cells: cells}
	for _, p := range []*string{&f.Config, &f.Backbone, &f.DataDir, &f.Out} {
		if *p == "builtin" || *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, fmt.Errorf("freeze: %w", err)
		}
		*p = abs
	}
	return f, nil
}

// WriteFrozen writes the plan atomically, so that a worker starting meanwhile reads either
// the previous plan or this one.
func WriteFrozen(path string, f *Frozen) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if err := atomicfile.Write(path, append(b, '\n')); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// ReadFrozen reads and checks a plan file. Errors name the file and the offending field or
// cell: a plan is shared by many jobs, and a bad one should fail all of them the same way.
func ReadFrozen(path string) (*Frozen, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	f, err := parseFrozen(b)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", path, err)
	}
	return f, nil
}

func parseFrozen(b []byte) (*Frozen, error) {
	// Check the version before the layout, so that a plan from another build says so
	// instead of failing on some field it does not know.
	var head struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, jsonerr.WithLine(b, err)
	}
	switch {
	case head.Schema == nil:
		return nil, errors.New("no schema field; not a plan written by bench plan --freeze")
	case *head.Schema != FrozenSchema:
		return nil, fmt.Errorf("schema %d, this build reads %d; freeze the plan again with this build", *head.Schema, FrozenSchema)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f Frozen
	if err := dec.Decode(&f); err != nil {
		return nil, jsonerr.WithLine(b, err)
	}
	for _, c := range []struct{ name, v string }{{"backbone", f.Backbone}, {"data_dir", f.DataDir}, {"out", f.Out}, {"device", f.Device}} {
		if c.v == "" {
			return nil, fmt.Errorf("field %s is empty", c.name)
		}
	}
	if f.Threads < 0 {
		return nil, fmt.Errorf("field threads is %d; it must not be negative", f.Threads)
	}
	if len(f.Cells) == 0 {
		return nil, errors.New("field cells is empty")
	}
	seen := map[string]int{}
	for i, c := range f.Cells {
		if c.Task == "" || c.Method == "" || c.Setting == "" {
			return nil, fmt.Errorf("cells[%d]: task, method and setting must be set", i)
		}
		// The id hashes everything the cell computes; a mismatch means the cell was edited
		// after freezing and its results would be filed under a config that never existed.
		if want := c.ContentID(); want != c.ID {
			return nil, fmt.Errorf("cells[%d] (%s s%d): id %q does not match its contents (%q); was the plan edited?", i, c.Name(), c.Seed, c.ID, want)
		}
		if j, dup := seen[c.Key()]; dup {
			return nil, fmt.Errorf("cells[%d] repeats cells[%d] (%s)", i, j, c.Key())
		}
		seen[c.Key()] = i
	}
	return &f, nil
}
