package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/hub"
)

// checkInputs requires the backbone and data paths that are not "builtin" to be directories,
// before any cell starts: a mistyped path would otherwise fail every cell and record each
// as failed. where names the source of a path for the message ("experiments.yaml:3").
func checkInputs(backbone, dataDir string, where func(key string) string) error {
	for _, in := range []struct{ key, path string }{{"backbone", backbone}, {"data_dir", dataDir}} {
		if err := checkInputDir(where(in.key), in.key, in.path); err != nil {
			return err
		}
	}
	return nil
}

// checkConfigInputs is checkInputs for a config: its backbone, or those of its backbones
// that cells run on (each named by its line), and its data directory.
func checkConfigInputs(cfg *plan.Config, cells []plan.Cell) error {
	if len(cfg.Backbones) == 0 {
		return checkInputs(backboneValue(cfg.BackboneWritten(""), cfg.Backbone), cfg.DataDir, cfg.Pos)
	}
	for _, name := range backboneNames(cells) {
		dir, ok := cfg.BackboneDir(name)
		if !ok {
			return fmt.Errorf("%s: backbone %q is not in backbones", cfg.Pos("backbones"), name)
		}
		if err := checkInputDir(cfg.BackbonePos(name), "backbones."+name, backboneValue(cfg.BackboneWritten(name), dir)); err != nil {
			return err
		}
	}
	return checkInputDir(cfg.Pos("data_dir"), "data_dir", cfg.DataDir)
}

// checkInputDir requires path, the value of key at where, to be "builtin" or a directory,
// or a name resolved when the cells run: data_dir clue (the fetched CLUE data) or a backbone
// that names a Hugging Face hub model.
func checkInputDir(where, key, path string) error {
	if path == "builtin" || (key == "data_dir" && path == plan.CLUEData) {
		return nil
	}
	if key != "data_dir" && hub.IsRef(path, path) {
		return nil
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return fmt.Errorf("%s: %s: %w", where, key, err)
	case !st.IsDir():
		return fmt.Errorf("%s: %s %s: not a directory", where, key, path)
	}
	return nil
}

// backboneNames lists the backbone names of cells, in the order they first appear ("" for
// cells of a config with one backbone).
func backboneNames(cells []plan.Cell) []string {
	var names []string
	seen := map[string]bool{}
	for _, c := range cells {
		if !seen[c.BackboneName] {
			seen[c.BackboneName] = true
			names = append(names, c.BackboneName)
		}
	}
	return names
}

// checkDeviceName checks the form of a device name as torchrt.ParseDevice reads it, without
// asking libtorch whether the device exists: plans and job scripts are made on machines
// without the GPUs the cells run on.
func checkDeviceName(s string) error {
	d := strings.ToLower(strings.TrimSpace(s))
	switch {
	case d == "auto" || d == "cpu" || d == "cuda" || d == "gpu":
		return nil
	case strings.HasPrefix(d, "cuda:"):
		if n, err := strconv.Atoi(strings.TrimPrefix(d, "cuda:")); err == nil && n >= 0 {
			return nil
		}
	}
	return fmt.Errorf("%q: want auto, cpu, cuda or cuda:N", s)
}

// checkResults reads a results directory the way the commands that list or run cells rely
// on it, and fails where they would go wrong: a result from a newer build would show as stale
// and running the cell would overwrite it. (A result file that does not parse is the store's
// to handle: status shows it as corrupt, and the runner keeps it aside and reruns the cell.) It checks the results of
// cells, or every result in the directory when cells is nil. A directory that does not
// exist yet is fine: running creates it.
func checkResults(dir string, cells []plan.Cell) error {
	for _, d := range []string{dir, filepath.Join(dir, "cells")} {
		st, err := os.Stat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case err != nil:
			return fmt.Errorf("results %s: %w", dir, err)
		case !st.IsDir() && d == dir:
			return fmt.Errorf("results %s: not a directory", dir)
		case !st.IsDir():
			return fmt.Errorf("results %s: %s is not a directory", dir, d)
		}
	}
	store := &results.Store{Dir: dir}
	var keys []string
	if cells == nil {
		entries, err := os.ReadDir(filepath.Join(dir, "cells"))
		if err != nil {
			return fmt.Errorf("results %s: %w", dir, err)
		}
		for _, e := range entries {
			if k, ok := results.KeyOfFile(e.Name()); ok {
				keys = append(keys, k)
			}
		}
	} else {
		for _, c := range cells {
			keys = append(keys, c.Key())
		}
	}
	for _, k := range keys {
		r, err := store.Read(k)
		var corrupt *results.CorruptError
		if errors.As(err, &corrupt) {
			continue // the runner sets it aside with a warning and reruns the cell; status shows it
		}
		if err != nil {
			return fmt.Errorf("results %s: %w (move the file away to run the cell again)", dir, err)
		}
		if r != nil && r.Schema != results.ResultSchema {
			return fmt.Errorf("results %s: %s: result schema %d, this build reads %d", dir, filepath.Join(dir, "cells", k+".json"), r.Schema, results.ResultSchema)
		}
	}
	return nil
}
