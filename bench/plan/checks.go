package plan

import (
	"encoding/json"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// checkSeeds defaults an absent seeds key to one seed, 1, and rejects an empty list (which
// would run nothing, or silently seed 1) and a repeated seed (two identical cells).
func (f *configFile) checkSeeds(cfg *Config) error {
	k := mapKey(f.top, "seeds")
	if k == nil {
		cfg.Seeds = []int64{1}
		return nil
	}
	if len(cfg.Seeds) == 0 {
		return f.fail(k.Line, "seeds is empty; list at least one seed (leave the key out for seed 1)")
	}
	v := mapValue(f.top, "seeds")
	seen := map[int64]int{}
	for i, s := range cfg.Seeds {
		if j, dup := seen[s]; dup {
			line := k.Line
			if v != nil && v.Kind == yaml.SequenceNode && i < len(v.Content) {
				line = v.Content[i].Line
			}
			return f.fail(line, "seeds[%d]: duplicate seed %d (also seeds[%d]); it would run the same cells twice", i, s, j)
		}
		seen[s] = i
	}
	return nil
}

// checkTasks requires registered tasks whose overrides name configured methods and settings.
func (f *configFile) checkTasks(cfg *Config) error {
	for _, name := range sortedKeys(cfg.Tasks) {
		t := cfg.Tasks[name]
		if !contains(f.reg.Tasks, name) {
			return f.fail(t.line, "unknown task %q (known: %s)", name, strings.Join(f.reg.Tasks, ", "))
		}
		for m := range t.Methods {
			if cfg.Methods[m] == nil {
				return f.fail(t.line, "task %s: override for method %q, which is not in methods", name, m)
			}
		}
		for st := range t.Settings {
			if cfg.Settings[st] == nil {
				return f.fail(t.line, "task %s: override for setting %q, which is not in settings", name, st)
			}
		}
	}
	return nil
}

// checkMethods requires registered methods and resolves their options.
func (f *configFile) checkMethods(cfg *Config) error {
	for _, name := range sortedKeys(cfg.Methods) {
		m := cfg.Methods[name]
		if !contains(f.reg.Methods, name) {
			return f.fail(m.line, "unknown method %q (known: %s)", name, strings.Join(f.reg.Methods, ", "))
		}
		if f.reg.ResolveOptions == nil {
			continue
		}
		l := m.Options.Line
		if l == 0 {
			l = m.line
		}
		var err error
		if m.resolved, err = f.reg.ResolveOptions(name, &m.Options); err != nil {
			if msg := err.Error(); strings.HasPrefix(msg, name+" options: ") {
				return f.fail(l, "method %s", msg) // the method named its options already
			}
			return f.fail(l, "method %s options: %v", name, err)
		}
		if m.resolved != nil {
			if err := f.checkNumbers(&m.Options, reflect.TypeOf(m.resolved), "methods."+name+".options"); err != nil {
				return err
			}
		}
		// The options' JSON goes into every cell id of the method; one that cannot be
		// encoded must fail here, at its line, not when the matrix is expanded.
		if m.optionsJSON, err = json.Marshal(m.resolved); err != nil {
			return f.fail(l, "method %s options: %v", name, err)
		}
	}
	return nil
}

// checkSettings defaults each setting's split to full and validates it.
func (f *configFile) checkSettings(cfg *Config) error {
	for _, name := range sortedKeys(cfg.Settings) {
		s := cfg.Settings[name]
		if s.Split == "" {
			s.Split = "full"
		}
		if f.reg.CheckSplit != nil {
			if err := f.reg.CheckSplit(s.Split); err != nil {
				return f.fail(s.line, "setting %s: %v", name, err)
			}
		}
	}
	return nil
}

// checkPatterns validates the include and exclude globs.
func (f *configFile) checkPatterns(cfg *Config) error {
	for _, sec := range []struct {
		key   string
		globs []string
	}{{"include", cfg.Include}, {"exclude", cfg.Exclude}} {
		v := mapValue(f.top, sec.key)
		for i, g := range sec.globs {
			if err := checkGlob(g, len(cfg.Backbones) > 0, cfg.hasGrid()); err != nil {
				line := f.line(sec.key)
				if v != nil && v.Kind == yaml.SequenceNode && i < len(v.Content) {
					line = v.Content[i].Line
				}
				return f.fail(line, "%s[%d] %q: %v", sec.key, i, g, err)
			}
		}
	}
	return nil
}

// checkSelection requires include and exclude to leave at least one cell: a matrix of none
// would run nothing and report success.
func (f *configFile) checkSelection(cfg *Config) error {
	for _, b := range cfg.BackboneNames() {
		for _, t := range sortedKeys(cfg.Tasks) {
			for _, m := range sortedKeys(cfg.Methods) {
				for _, s := range sortedKeys(cfg.Settings) {
					for _, p := range cfg.points(t, m, s) {
						for _, seed := range cfg.Seeds {
							if selected(Cell{Task: t, Method: m, Setting: s, Seed: seed, BackboneName: b, Grid: p.String()}, cfg.Include, cfg.Exclude) {
								return nil
							}
						}
					}
				}
			}
		}
	}
	key := "exclude"
	if len(cfg.Exclude) == 0 {
		key = "include"
	}
	return f.fail(f.line(key), "include and exclude leave no cells of the matrix")
}

// checkCombinations resolves every combination once, so that bad values fail now, not mid-run.
func (f *configFile) checkCombinations(cfg *Config) error {
	for _, t := range sortedKeys(cfg.Tasks) {
		for _, m := range sortedKeys(cfg.Methods) {
			for _, s := range sortedKeys(cfg.Settings) {
				for _, p := range cfg.points(t, m, s) {
					if err := cfg.hyperAt(t, m, s, p).validate(); err != nil {
						if len(p) > 0 { // a list's value is out of range: point at the list
							return f.fail(p[len(p)-1].list.line, "%s/%s/%s@%s: %v", t, m, s, p, err)
						}
						return f.fail(cfg.Tasks[t].line, "%s/%s/%s: %v", t, m, s, err)
					}
				}
			}
		}
	}
	return nil
}
