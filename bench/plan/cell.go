package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

// Cell is one training run: a task, a method, a setting and a seed, with everything resolved.
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
	Backbone      string          `json:"backbone"`
	DataDir       string          `json:"data_dir"`
}

// Key names the cell's files: stable across config changes of the same (task, method,
// setting, seed), so a changed config finds the old result and calls it stale.
func (c Cell) Key() string {
	return fmt.Sprintf("%s__%s__%s__s%d", c.Task, c.Method, c.Setting, c.Seed)
}

// Name is the cell's human label, also what --only globs match: task/method/setting.
func (c Cell) Name() string { return c.Task + "/" + c.Method + "/" + c.Setting }

// ContentID is the ID a cell with these contents has: a hash of every field but ID. A cell
// whose ID differs from its ContentID was edited after it was expanded.
func (c Cell) ContentID() string {
	c.ID = ""
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:12]
}

// builtinAs names the built-in input in a cell: "builtin" with what it stands for.
func builtinAs(p, what string) string {
	if p == "builtin" && what != "" {
		return "builtin (" + what + ")"
	}
	return p
}

// Expand lists the cells of the matrix in a fixed order (task, method, setting, seed), after
// the config's include/exclude rules. It is a pure function of the config.
func (c *Config) Expand() ([]Cell, error) {
	var cells []Cell
	backbone, data := builtinAs(c.Backbone, c.builtinBackbone), builtinAs(c.DataDir, c.builtinData)
	for _, t := range sortedKeys(c.Tasks) {
		for _, m := range sortedKeys(c.Methods) {
			opts, err := json.Marshal(c.Methods[m].resolved)
			if err != nil {
				return nil, fmt.Errorf("method %s options: %w", m, err)
			}
			for _, s := range sortedKeys(c.Settings) {
				name := t + "/" + m + "/" + s
				if !selected(name, c.Include, c.Exclude) {
					continue
				}
				for _, seed := range c.Seeds {
					cell := Cell{Task: t, Method: m, Setting: s, Seed: seed, Split: c.Settings[s].Split,
						Hyper: c.Hyper(t, m, s), MethodOptions: opts, Backbone: backbone, DataDir: data}
					cell.ID = cell.ContentID()
					cells = append(cells, cell)
				}
			}
		}
	}
	return cells, nil
}

// selected applies include (empty = everything) and exclude globs to "task/method/setting".
func selected(name string, include, exclude []string) bool {
	ok := len(include) == 0
	for _, g := range include {
		if m, _ := filepath.Match(g, name); m {
			ok = true
		}
	}
	for _, g := range exclude {
		if m, _ := filepath.Match(g, name); m {
			ok = false
		}
	}
	return ok
}

// Filter keeps the cells whose name matches any of the globs (all cells when none given).
func Filter(cells []Cell, globs []string) ([]Cell, error) {
	if len(globs) == 0 {
		return cells, nil
	}
	for _, g := range globs {
		if _, err := filepath.Match(g, "x"); err != nil {
			return nil, fmt.Errorf("--only %q: %w", g, err)
		}
	}
	var out []Cell
	hit := make([]bool, len(globs))
	for _, c := range cells {
		names := []string{c.Name(), c.Name() + "/s" + itoa(c.Seed)}
		keep := false
		for i, g := range globs {
			for _, n := range names {
				if m, _ := filepath.Match(g, n); m {
					hit[i], keep = true, true
				}
			}
		}
		if keep {
			out = append(out, c)
		}
	}
	// A glob that selects nothing is a typo more often than an intent ("c3/*" for "c3/*/*"),
	// and running zero cells would look like success.
	for i, g := range globs {
		if !hit[i] {
			example := "tnews/fl-tuning/full/s1"
			if len(cells) > 0 {
				example = cells[0].Name() + "/s" + itoa(cells[0].Seed)
			}
			return nil, fmt.Errorf("--only %q matches no cell (cells are named task/method/setting[/sSEED], e.g. %s)", g, example)
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
