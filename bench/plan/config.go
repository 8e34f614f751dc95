package plan

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MethodSpec is a method entry: options for the method itself plus hyper-parameter overrides.
type MethodSpec struct {
	Overlay  `yaml:",inline"`
	Options  yaml.Node `yaml:"options"`
	line     int
	resolved any // options with defaults, from Registry.ResolveOptions
}

// TaskSpec is a task entry: hyper-parameters plus per-setting and per-method overrides.
type TaskSpec struct {
	Overlay  `yaml:",inline"`
	Settings map[string]*Overlay `yaml:"settings"`
	Methods  map[string]*Overlay `yaml:"methods"`
	line     int
}

// SettingSpec is a training regime: which split to train on plus hyper-parameter overrides.
type SettingSpec struct {
	Overlay `yaml:",inline"`
	Split   string `yaml:"split"` // full | few:K | few:all | kshot:K:SEED
	line    int
}

// Config is experiments.yaml.
type Config struct {
	Path     string                  `yaml:"-"`
	Backbone string                  `yaml:"backbone"` // HF model directory, or "builtin"
	DataDir  string                  `yaml:"data_dir"` // CLUE data directory, or "builtin"
	Out      string                  `yaml:"out"`      // results directory
	Device   string                  `yaml:"device"`   // auto | cpu | cuda | cuda:N
	Threads  int                     `yaml:"threads"`  // libtorch intra-op threads; 0 = all cores
	Seeds    []int64                 `yaml:"seeds"`
	Defaults Overlay                 `yaml:"defaults"`
	Methods  map[string]*MethodSpec  `yaml:"methods"`
	Tasks    map[string]*TaskSpec    `yaml:"tasks"`
	Settings map[string]*SettingSpec `yaml:"settings"`
	Include  []string                `yaml:"include"` // globs on task/method/setting; empty = all
	Exclude  []string                `yaml:"exclude"`

	builtinBackbone, builtinData string // from the Registry; see there
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expandEnv replaces ${VAR} and ${VAR:-default}; an unset variable without default is an error.
func expandEnv(s string) (string, error) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(m string) string {
		g := envRef.FindStringSubmatch(m)
		if v, ok := os.LookupEnv(g[1]); ok && v != "" {
			return v
		}
		if g[2] != "" {
			return g[3]
		}
		missing = append(missing, g[1])
		return ""
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	return out, nil
}

// Registry is what config validation needs to know about tasks and methods, so that this
// package does not depend on theirs.
type Registry struct {
	Tasks   []string
	Methods []string
	// ResolveOptions validates a method's options node (unknown keys, wrong types) and returns
	// the options with the method's defaults filled in; their JSON form goes into the cell id.
	ResolveOptions func(method string, opts *yaml.Node) (any, error)
	// CheckSplit validates a setting's split string.
	CheckSplit func(split string) error
	// BuiltinBackbone and BuiltinData say what "builtin" stands for in this binary (generator
	// version, pre-training spec). Cells record them in place of the bare word, so results
	// made from another version's built-in data or backbone are stale, not done.
	BuiltinBackbone, BuiltinData string
}

// LoadConfig reads and validates experiments.yaml. Errors name the file and line.
func LoadConfig(path string, reg Registry) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, b, reg)
}

// ParseConfig parses YAML bytes; path is used in errors and to resolve relative paths.
func ParseConfig(path string, b []byte, reg Registry) (*Config, error) {
	f, err := decodeConfig(path, b, reg)
	if err != nil {
		return nil, err
	}
	cfg := &Config{Path: path, builtinBackbone: reg.BuiltinBackbone, builtinData: reg.BuiltinData}
	if err := decodeStrict(b, cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.recordLines(cfg)
	for _, step := range []func(*Config) error{
		f.resolvePaths,
		f.fillDefaults,
		f.checkTasks,
		f.checkMethods,
		f.checkSettings,
		f.checkPatterns,
		f.checkCombinations,
	} {
		if err := step(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// configFile is the YAML document a Config is parsed from (for error positions) and the
// registry it is checked against.
type configFile struct {
	path string
	top  *yaml.Node // the document's top mapping
	reg  Registry
}

// decodeConfig parses b as one YAML document.
func decodeConfig(path string, b []byte, reg Registry) (*configFile, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f := &configFile{path: path, reg: reg}
	if len(root.Content) == 0 {
		return nil, f.fail(0, "empty file")
	}
	f.top = root.Content[0]
	return f, nil
}

// fail is an error at a line of the file (0: the file as a whole).
func (f *configFile) fail(line int, format string, a ...any) error {
	if line > 0 {
		return fmt.Errorf("%s:%d: %s", f.path, line, fmt.Sprintf(format, a...))
	}
	return fmt.Errorf("%s: %s", f.path, fmt.Sprintf(format, a...))
}

// line is the line of a top-level key, 0 if absent.
func (f *configFile) line(key string) int {
	if k := mapKey(f.top, key); k != nil {
		return k.Line
	}
	return 0
}

// recordLines notes the line of each method, task and setting entry, for later errors.
func (f *configFile) recordLines(cfg *Config) {
	for _, sec := range []string{"methods", "tasks", "settings"} {
		n := mapValue(f.top, sec)
		if n == nil {
			continue
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			name, line := n.Content[i].Value, n.Content[i].Line
			switch sec {
			case "methods":
				if cfg.Methods[name] == nil {
					cfg.Methods[name] = &MethodSpec{}
				}
				cfg.Methods[name].line = line
			case "tasks":
				if cfg.Tasks[name] == nil {
					cfg.Tasks[name] = &TaskSpec{}
				}
				cfg.Tasks[name].line = line
			case "settings":
				if cfg.Settings[name] == nil {
					cfg.Settings[name] = &SettingSpec{}
				}
				cfg.Settings[name].line = line
			}
		}
	}
}

// resolvePaths expands environment variables in the backbone, data and results paths, fills
// in their defaults and makes relative ones relative to the file's directory.
func (f *configFile) resolvePaths(cfg *Config) error {
	for _, p := range []struct {
		key string
		p   *string
	}{{"backbone", &cfg.Backbone}, {"data_dir", &cfg.DataDir}, {"out", &cfg.Out}} {
		v, err := expandEnv(*p.p)
		if err != nil {
			return f.fail(f.line(p.key), "%s: %v", p.key, err)
		}
		*p.p = v
	}
	if cfg.Backbone == "" {
		cfg.Backbone = "builtin"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "builtin"
	}
	if cfg.Out == "" {
		cfg.Out = "results"
	}
	base := filepath.Dir(f.path)
	for _, p := range []*string{&cfg.Backbone, &cfg.DataDir, &cfg.Out} {
		if *p != "builtin" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	return nil
}

// fillDefaults sets the device, seeds and settings the file leaves out and requires tasks and
// methods.
func (f *configFile) fillDefaults(cfg *Config) error {
	if cfg.Device == "" {
		cfg.Device = "auto"
	}
	if cfg.Threads < 0 {
		return f.fail(f.line("threads"), "threads must not be negative")
	}
	if len(cfg.Seeds) == 0 {
		cfg.Seeds = []int64{1}
	}
	if len(cfg.Tasks) == 0 {
		return f.fail(f.line("tasks"), "no tasks")
	}
	if len(cfg.Methods) == 0 {
		return f.fail(f.line("methods"), "no methods")
	}
	if len(cfg.Settings) == 0 {
		cfg.Settings = map[string]*SettingSpec{"full": {Split: "full"}}
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
		var err error
		if m.resolved, err = f.reg.ResolveOptions(name, &m.Options); err != nil {
			l := m.Options.Line
			if l == 0 {
				l = m.line
			}
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
	for _, g := range append(append([]string{}, cfg.Include...), cfg.Exclude...) {
		if _, err := filepath.Match(g, "x/y/z"); err != nil {
			return f.fail(f.line("include"), "bad pattern %q: %v", g, err)
		}
	}
	return nil
}

// checkCombinations resolves every combination once, so that bad values fail now, not mid-run.
func (f *configFile) checkCombinations(cfg *Config) error {
	for _, t := range sortedKeys(cfg.Tasks) {
		for _, m := range sortedKeys(cfg.Methods) {
			for _, s := range sortedKeys(cfg.Settings) {
				if err := cfg.Hyper(t, m, s).validate(); err != nil {
					return f.fail(cfg.Tasks[t].line, "%s/%s/%s: %v", t, m, s, err)
				}
			}
		}
	}
	return nil
}

// decodeStrict decodes YAML rejecting unknown keys; yaml.v3 reports "line N: ...".
func decodeStrict(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err := dec.Decode(v)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return errors.New(strings.Join(te.Errors, "; "))
	}
	return err
}

func mapKey(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// itoa is strconv.Itoa, kept short for id strings.
func itoa(i int64) string { return strconv.FormatInt(i, 10) }
