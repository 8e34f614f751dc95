package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clue-bench/clue-bench/hub"
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
	Schema int    `json:"schema"`
	Config string `json:"config"` // the config it was frozen from, for reference only
	// Backbone is the HF model directory, or "builtin"; empty when Backbones is set.
	// omitempty: plans of one backbone read as before.
	Backbone string `json:"backbone,omitempty"`
	// Backbones are a config's several backbones, name → directory or "builtin"; each cell
	// names its own (Cell.BackboneName).
	Backbones map[string]string `json:"backbones,omitempty"`
	DataDir   string            `json:"data_dir"` // CLUE data directory, or "builtin"
	Out       string            `json:"out"`      // results directory
	Device    string            `json:"device"`
	Threads   int               `json:"threads"`
	Cells     []Cell            `json:"cells"` // in the config's fixed order; a cell's index is its position
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
		if p == &f.DataDir && *p == CLUEData {
			continue // a name, like builtin
		}
		if p == &f.Backbone && hub.IsRef(cfg.BackboneWritten(""), f.Backbone) {
			f.Backbone = cfg.BackboneWritten("") // a hub model: its name, for workers anywhere
			continue
		}
		if err := absPath(p); err != nil {
			return nil, err
		}
	}
	if len(cfg.Backbones) == 0 {
		return f, nil
	}
	// Only the backbones the cells use: a worker checks and resolves every one listed.
	f.Backbones = map[string]string{}
	for _, c := range cells {
		if _, ok := f.Backbones[c.BackboneName]; ok || c.BackboneName == "" {
			continue
		}
		dir, ok := cfg.Backbones[c.BackboneName]
		if !ok {
			return nil, fmt.Errorf("freeze: cell %s: backbone %q is not in the config", c.Key(), c.BackboneName)
		}
		if w := cfg.BackboneWritten(c.BackboneName); hub.IsRef(w, dir) {
			dir = w
		} else if err := absPath(&dir); err != nil {
			return nil, err
		}
		f.Backbones[c.BackboneName] = dir
	}
	return f, nil
}

// absPath makes *p absolute unless it is "builtin" or empty.
func absPath(p *string) error {
	if *p == "builtin" || *p == "" {
		return nil
	}
	abs, err := filepath.Abs(*p)
	if err != nil {
		return fmt.Errorf("freeze: %w", err)
	}
	*p = abs
	return nil
}

// BackboneDir is the directory (or "builtin") of a cell's backbone: the plan's backbone, or
// the one of its backbones the cell names.
func (f *Frozen) BackboneDir(c Cell) (string, error) {
	if c.BackboneName == "" && f.Backbones == nil {
		return f.Backbone, nil
	}
	if dir, ok := f.Backbones[c.BackboneName]; ok {
		return dir, nil
	}
	return "", fmt.Errorf("cell %s: the plan has no directory for backbone %q", c.Key(), c.BackboneName)
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
	if f.Backbone != "" && f.Backbones != nil {
		return nil, errors.New("fields backbone and backbones are both set; a plan has one or the other")
	}
	if f.Backbones != nil && len(f.Backbones) == 0 {
		return nil, errors.New("field backbones is empty")
	}
	for _, name := range sortedKeys(f.Backbones) {
		// Names become part of result file names, as in a config.
		if !backboneName.MatchString(name) {
			return nil, fmt.Errorf("field backbones: name %q: want lower-case letters, digits, '.', '_' and '-', starting with a letter or digit", name)
		}
		if f.Backbones[name] == "" {
			return nil, fmt.Errorf("field backbones: %s is empty", name)
		}
	}
	if f.Backbones == nil && f.Backbone == "" {
		return nil, errors.New("field backbone is empty")
	}
	for _, c := range []struct{ name, v string }{{"data_dir", f.DataDir}, {"out", f.Out}, {"device", f.Device}} {
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
		// Each cell runs on the backbone it names, which the plan must give a directory;
		// a plan of one backbone has cells that name none.
		switch _, ok := f.Backbones[c.BackboneName]; {
		case f.Backbones == nil && c.BackboneName != "":
			return nil, fmt.Errorf("cells[%d] (%s s%d): names backbone %q but the plan has no field backbones", i, c.Name(), c.Seed, c.BackboneName)
		case f.Backbones != nil && !ok:
			return nil, fmt.Errorf("cells[%d] (%s s%d): backbone %q is not in field backbones", i, c.Name(), c.Seed, c.BackboneName)
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
