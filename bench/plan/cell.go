package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
)

// Cell is one training run: a task, a method, a setting and a seed (and a backbone, where the
// config names several), with everything resolved.
// Its ID hashes all of it, so that any change to what the cell would compute changes the ID.
type Cell struct {
	ID            string          `json:"id"`
	Task          string          `json:"task"`
	Method        string          `json:"method"`
	Setting       string          `json:"setting"`
	Seed          int64           `json:"seed"`
	Split         string          `json:"split"`
	Hyper         Hyper           `json:"hyper"`
	MethodOptions json.RawMessage `json:"method_options"`
	// Backbone and DataDir are as the config writes them, relative to the config file when
	// relative (see Config.resolvePaths), or "builtin (what it stands for)".
	Backbone string `json:"backbone"`
	DataDir  string `json:"data_dir"`
	// BackboneName is the cell's backbone in a config that names several (backbones), and
	// empty for one that names one (backbone). omitempty: cells of a single backbone keep
	// the ids, keys and names they had before there could be several.
	BackboneName string `json:"backbone_name,omitempty"`
	// Grid is the cell's grid point where hyper-parameters are lists, "lr=0.001,batch_size=16"
	// (see grid.go), and empty otherwise. omitempty: cells of a config without lists keep the
	// ids, keys and names they had before there could be grids.
	Grid string `json:"grid,omitempty"`
}

// Key names the cell's files: stable across config changes of the same (task, method,
// setting, seed), so a changed config finds the old result and calls it stale. A cell of a
// config with several backbones has its backbone's name in front (BACKBONE__task__...).
func (c Cell) Key() string {
	k := fmt.Sprintf("%s__%s__%s__s%d", c.Task, c.Method, c.Setting, c.Seed)
	if c.Grid != "" {
		k += "__" + strings.ReplaceAll(c.Grid, ",", "_")
	}
	if c.BackboneName != "" {
		return c.BackboneName + "__" + k
	}
	return k
}

// Name is the cell's human label: task/method/setting, or backbone/task/method/setting
// where the config names several backbones, with the grid point after an "@" where the
// config has lists (task/method/setting@lr=0.001).
func (c Cell) Name() string {
	n := c.baseName()
	if c.Grid != "" {
		n += "@" + c.Grid
	}
	return n
}

func (c Cell) baseName() string {
	n := c.Task + "/" + c.Method + "/" + c.Setting
	if c.BackboneName != "" {
		return c.BackboneName + "/" + n
	}
	return n
}

// globName is what --only, include and exclude globs match: task/method/setting/sSEED, or
// backbone/task/method/setting/sSEED where the config names several backbones, and a last
// part for the grid point where the config has lists (.../sSEED/lr=0.001), so that globs
// written without one keep matching every point.
func (c Cell) globName() string {
	n := c.baseName() + "/s" + itoa(c.Seed)
	if c.Grid != "" {
		n += "/" + c.Grid
	}
	return n
}

// ComputeID is the ID a cell with these contents has: a hash of every field but ID. A cell
// whose ID differs from it was edited after it was expanded. It fails on contents that have
// no JSON form (a non-finite number): hashing the empty output would give all such cells
// one ID.
func (c Cell) ComputeID() (string, error) {
	c.ID = ""
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("cell %s s%d: id: %w", c.Name(), c.Seed, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:12], nil
}

// ContentID is ComputeID for cells known to encode, such as those Expand and ReadFrozen
// return. For a cell that cannot be encoded it returns InvalidID, which no computed ID
// equals, so the cell never matches a stored result.
func (c Cell) ContentID() string {
	id, err := c.ComputeID()
	if err != nil {
		return InvalidID
	}
	return id
}

// InvalidID is ContentID's answer for a cell whose contents cannot be encoded; it is not
// hexadecimal, so no computed ID equals it.
const InvalidID = "invalid"

// builtinAs names the built-in input in a cell: "builtin" with what it stands for.
func builtinAs(p, what string) string {
	if p == "builtin" && what != "" {
		return "builtin (" + what + ")"
	}
	return p
}

// Expand lists the cells of the matrix in a fixed order ((backbone,) task, method, setting,
// grid point, seed), after the config's include/exclude rules. It is a pure function of the config.
func (c *Config) Expand() ([]Cell, error) {
	var cells []Cell
	for _, b := range c.BackboneNames() {
		var err error
		if cells, err = c.expandBackbone(cells, b); err != nil {
			return nil, err
		}
	}
	return cells, nil
}

// expandBackbone appends the cells of one backbone (name "" for a config's single one).
func (c *Config) expandBackbone(cells []Cell, name string) ([]Cell, error) {
	backbone := c.backboneRecorded(name)
	data := builtinAs(orPath(c.dataID, c.DataDir), c.builtinData)
	for _, t := range sortedKeys(c.Tasks) {
		for _, m := range sortedKeys(c.Methods) {
			opts := c.Methods[m].optionsJSON
			if opts == nil {
				var err error
				if opts, err = json.Marshal(c.Methods[m].resolved); err != nil {
					return nil, fmt.Errorf("method %s options: %w", m, err)
				}
			}
			for _, s := range sortedKeys(c.Settings) {
				for _, p := range c.points(t, m, s) {
					for _, seed := range c.Seeds {
						cell := Cell{Task: t, Method: m, Setting: s, Seed: seed, Split: c.Settings[s].Split,
							Hyper: c.hyperAt(t, m, s, p), MethodOptions: opts, Backbone: backbone, DataDir: data, BackboneName: name,
							Grid: p.String()}
						if !selected(cell, c.Include, c.Exclude) {
							continue
						}
						var err error
						if cell.ID, err = cell.ComputeID(); err != nil {
							return nil, err
						}
						cells = append(cells, cell)
					}
				}
			}
		}
	}
	return cells, nil
}

// orPath is the recorded form of a path when the config has one (see resolvePaths), else
// the path itself.
func orPath(recorded, p string) string {
	if recorded != "" {
		return recorded
	}
	return p
}

// selected applies include (empty = everything) and exclude globs to a cell.
func selected(c Cell, include, exclude []string) bool {
	ok := len(include) == 0
	for _, g := range include {
		if matchGlob(g, c) {
			ok = true
		}
	}
	for _, g := range exclude {
		if matchGlob(g, c) {
			ok = false
		}
	}
	return ok
}

// matchGlob reports whether the glob matches the cell's task/method/setting/sSEED (with the
// backbone's name in front where the config names several), part by part (path.Match within
// each part, where * stops at a slash). A glob of fewer parts matches on the leading ones,
// so "*" is every cell, "c3" or "c3/*" every C3 cell and "c3/fl-tuning/full" that
// combination's seeds; with several backbones, "nezha" is every cell of that backbone and
// "*/c3" every C3 cell. The glob must be valid (checkGlob).
func matchGlob(glob string, c Cell) bool {
	gs, ns := strings.Split(glob, "/"), strings.Split(c.globName(), "/")
	if len(gs) > len(ns) {
		return false
	}
	for i, g := range gs {
		if ok, _ := path.Match(g, ns[i]); !ok {
			return false
		}
	}
	return true
}

// checkGlob rejects a glob that is malformed or that no cell name can match; multi says
// that cell names start with a backbone's name.
func checkGlob(glob string, multi, grid bool) error {
	if glob == "" {
		return errors.New("empty glob")
	}
	parts := strings.Split(glob, "/")
	if len(parts) > globParts(multi, grid) {
		return fmt.Errorf("%d parts; cells are named %s", len(parts), globForm(multi, grid))
	}
	for _, p := range parts {
		if _, err := path.Match(p, ""); err != nil {
			return err
		}
	}
	return nil
}

// Filter keeps the cells whose name matches any of the globs (all cells when none given).
func Filter(cells []Cell, globs []string) ([]Cell, error) {
	if len(globs) == 0 {
		return cells, nil
	}
	multi, grid := false, false
	for _, c := range cells {
		multi = multi || c.BackboneName != ""
		grid = grid || c.Grid != ""
	}
	for _, g := range globs {
		if err := checkGlob(g, multi, grid); err != nil {
			return nil, fmt.Errorf("--only %q: %w", g, err)
		}
	}
	var out []Cell
	hit := make([]bool, len(globs))
	for _, c := range cells {
		keep := false
		for i, g := range globs {
			if matchGlob(g, c) {
				hit[i], keep = true, true
			}
		}
		if keep {
			out = append(out, c)
		}
	}
	// A glob that selects nothing is a typo more often than an intent ("cls/*" for "csl/*"),
	// and running zero cells would look like success.
	for i, g := range globs {
		if !hit[i] {
			example := "tnews/fl-tuning/full/s1"
			if len(cells) > 0 {
				example = cells[0].globName()
			}
			return nil, fmt.Errorf("--only %q matches no cell (cells are named %s, e.g. %s; a shorter glob matches the leading parts)", g, globForm(multi, grid), example)
		}
	}
	return out, nil
}

// Shard returns the i-th of n deterministic, disjoint parts of cells (0-based i), by position in
// the fixed cell order, so that every process computes the same partition.
func Shard(cells []Cell, i, n int) []Cell {
	var out []Cell
	for k, c := range cells {
		if k%n == i {
			out = append(out, c)
		}
	}
	return out
}

// ParseShard reads "i/N" with 1 ≤ i ≤ N (as a user counts) and returns the 0-based index.
func ParseShard(s string) (int, int, error) {
	var i, n int
	if _, err := fmt.Sscanf(s, "%d/%d", &i, &n); err != nil || n < 1 || i < 1 || i > n || fmt.Sprintf("%d/%d", i, n) != strings.TrimSpace(s) {
		return 0, 0, fmt.Errorf("--shard %q: want i/N with 1 ≤ i ≤ N", s)
	}
	return i - 1, n, nil
}
