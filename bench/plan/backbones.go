package plan

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// backboneName is what a backbones key may be: it becomes part of cell file names, globs
// and report labels, so it is kept to characters that need no quoting in any of them.
var backboneName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// resolveBackbones checks the backbones map and resolves its directories the way
// resolvePaths resolves a single backbone: ${VAR} expanded, recorded as written (cleaned),
// opened relative to the file's directory.
func (f *configFile) resolveBackbones(cfg *Config) error {
	k := mapKey(f.top, "backbones")
	if k == nil {
		return nil
	}
	if one := mapKey(f.top, "backbone"); one != nil {
		return f.fail(k.Line, "backbones: backbone is set too (line %d); give one backbone with backbone, or several with backbones", one.Line)
	}
	v := mapValue(f.top, "backbones")
	if len(cfg.Backbones) == 0 || v == nil || v.Kind != yaml.MappingNode {
		return f.fail(k.Line, "backbones is empty; name at least one backbone (name: directory or builtin)")
	}
	cfg.backboneIDs = map[string]string{}
	cfg.backboneLines = map[string]int{}
	base := filepath.Dir(f.path)
	for i := 0; i+1 < len(v.Content); i += 2 {
		name, line := v.Content[i].Value, v.Content[i].Line
		if !backboneName.MatchString(name) {
			return f.fail(line, "backbones: name %q: want lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (the name is part of the cells' file names)", name)
		}
		dir, err := expandEnv(cfg.Backbones[name])
		if err != nil {
			return f.fail(line, "backbones.%s: %v", name, err)
		}
		if strings.TrimSpace(dir) == "" {
			return f.fail(line, "backbones.%s: no directory; give an HF model directory or builtin", name)
		}
		cfg.backboneIDs[name] = cleanPath(dir)
		if cfg.written == nil {
			cfg.written = map[string]string{}
		}
		cfg.written[name] = dir
		if dir != "builtin" && !filepath.IsAbs(dir) {
			dir = filepath.Join(base, dir)
		}
		cfg.Backbones[name] = dir
		cfg.backboneLines[name] = line
	}
	return nil
}

// BackboneNames lists the names of the config's backbones in the order cells are expanded
// (sorted); a config with a single backbone has the one name "".
func (c *Config) BackboneNames() []string {
	if len(c.Backbones) == 0 {
		return []string{""}
	}
	return sortedKeys(c.Backbones)
}

// BackboneDir is the directory (or "builtin") of the named backbone, as resolved: name ""
// is the single backbone of a config that sets backbone.
func (c *Config) BackboneDir(name string) (string, bool) {
	if name == "" {
		return c.Backbone, len(c.Backbones) == 0
	}
	d, ok := c.Backbones[name]
	return d, ok
}

// BackbonePos is "file:line" of the named backbone's entry, for errors about its directory;
// name "" is the backbone key.
func (c *Config) BackbonePos(name string) string {
	if l := c.backboneLines[name]; name != "" && l > 0 {
		return c.Path + ":" + strconv.Itoa(l)
	}
	if name != "" {
		return c.Pos("backbones")
	}
	return c.Pos("backbone")
}

// backboneRecorded is the form a cell records the named backbone's path in.
func (c *Config) backboneRecorded(name string) string {
	if name == "" {
		return builtinAs(orPath(c.backboneID, c.Backbone), c.builtinBackbone)
	}
	return builtinAs(orPath(c.backboneIDs[name], c.Backbones[name]), c.builtinBackbone)
}

// globParts is how many slash-separated parts cell names have: task/method/setting/sSEED,
// with the backbone's name in front when there are several and the grid point after when
// hyper-parameters are lists.
func globParts(multi, grid bool) int {
	n := 4
	if multi {
		n++
	}
	if grid {
		n++
	}
	return n
}

// globForm is the form of cell names for messages.
func globForm(multi, grid bool) string {
	f := "task/method/setting/sSEED"
	if multi {
		f = "backbone/" + f
	}
	if grid {
		f += "/GRID"
	}
	return f
}
