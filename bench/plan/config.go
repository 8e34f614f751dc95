package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MethodSpec is a method entry: options for the method itself plus hyper-parameter overrides.
type MethodSpec struct {
	Overlay     `yaml:",inline"`
	Options     yaml.Node `yaml:"options"`
	line        int
	resolved    any             // options with defaults, from Registry.ResolveOptions
	optionsJSON json.RawMessage // resolved, as cells record it
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

// Config is experiments.yaml. It names one backbone (Backbone) or several (Backbones, an axis
// of the matrix: every cell is run once per backbone), never both.
type Config struct {
	Path      string                  `yaml:"-"`
	Backbone  string                  `yaml:"backbone"`  // HF model directory, or "builtin"; "" when Backbones is set
	Backbones map[string]string       `yaml:"backbones"` // name → HF model directory or "builtin"; nil when Backbone is set
	DataDir   string                  `yaml:"data_dir"`  // CLUE data directory, or "builtin"
	Out       string                  `yaml:"out"`       // results directory
	Device    string                  `yaml:"device"`    // auto | cpu | cuda | cuda:N
	Threads   int                     `yaml:"threads"`   // libtorch intra-op threads; 0 = all cores
	Workers   int                     `yaml:"workers"`   // bench run's worker processes, sharing Threads; 0 or 1 = one
	Seeds     []int64                 `yaml:"seeds"`
	Defaults  Overlay                 `yaml:"defaults"`
	Methods   map[string]*MethodSpec  `yaml:"methods"`
	Tasks     map[string]*TaskSpec    `yaml:"tasks"`
	Settings  map[string]*SettingSpec `yaml:"settings"`
	Include   []string                `yaml:"include"` // globs on [backbone/]task/method/setting/sSEED; empty = all
	Exclude   []string                `yaml:"exclude"`

	builtinBackbone, builtinData string // from the Registry; see there
	// backboneID and dataID are the backbone and data paths as cells record them: see
	// resolvePaths.
	backboneID, dataID string
	// backboneIDs are the Backbones paths as cells record them, by name.
	backboneIDs map[string]string
	// written are the backbone values as the file writes them, after ${VAR} expansion, by
	// name ("" for backbone): see BackboneWritten.
	written map[string]string
	// backboneLines are the lines of the Backbones entries, for errors about them.
	backboneLines map[string]int
	// top is the file's top-level mapping, for Pos.
	top *yaml.Node
	// grids are the list-valued hyper-parameters by layer and key (see grid.go); their
	// Overlay fields stay unset.
	grids map[*Overlay]map[string]*gridList
}

// Pos is "file:line" of a top-level key of the config, or the file alone when the key is
// absent, for errors about a value found bad after loading (a backbone that does not exist).
func (c *Config) Pos(key string) string {
	if k := mapKey(c.top, key); k != nil {
		return c.Path + ":" + strconv.Itoa(k.Line)
	}
	return c.Path
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expandEnv replaces ${VAR} and ${VAR:-default}; an unset or empty variable without default
// is an error.
func expandEnv(s string) (string, error) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(m string) string {
		g := envRef.FindStringSubmatch(m)
		v, ok := os.LookupEnv(g[1])
		if ok && v != "" {
			return v
		}
		if g[2] != "" {
			return g[3]
		}
		if ok {
			missing = append(missing, g[1]+" is empty")
		} else {
			missing = append(missing, g[1]+" is not set")
		}
		return ""
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s", strings.Join(missing, ", "))
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
	// CheckDevice validates the device's name (not whether the machine has it: a plan is
	// often made where the cells do not run).
	CheckDevice func(device string) error
	// BuiltinBackbone and BuiltinData say what "builtin" stands for in this binary (generator
	// version, pre-training spec). Cells record them in place of the bare word, so results
	// made from another version's built-in data or backbone are stale, not done.
	BuiltinBackbone, BuiltinData string
}

// LoadConfig reads and validates experiments.yaml. Errors name the file and line.
func LoadConfig(path string, reg Registry) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, b, reg)
}

// ParseConfig parses YAML bytes; path is used in errors and to resolve relative paths.
func ParseConfig(path string, b []byte, reg Registry) (*Config, error) {
	f, err := decodeConfig(path, b, reg)
	if err != nil {
		return nil, err
	}
	cfg := &Config{Path: path, builtinBackbone: reg.BuiltinBackbone, builtinData: reg.BuiltinData, top: f.top}
	if err := f.decodeGrid(b, cfg); err != nil {
		return nil, err
	}
	if err := f.checkNumbers(f.top, reflect.TypeOf(cfg).Elem(), ""); err != nil {
		return nil, err
	}
	f.recordLines(cfg)
	for _, step := range []func(*Config) error{
		f.resolvePaths,
		f.resolveBackbones,
		f.fillDefaults,
		f.checkSeeds,
		f.checkTasks,
		f.checkMethods,
		f.checkSettings,
		f.checkPatterns,
		f.checkSelection,
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
	f := &configFile{path: path, reg: reg}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) { // nothing but blanks and comments
			return nil, f.fail(0, "empty config")
		}
		return nil, yamlError(path, err)
	}
	if len(root.Content) == 0 || root.Content[0].ShortTag() == "!!null" {
		return nil, f.fail(0, "empty config")
	}
	f.top = root.Content[0]
	if f.top.Kind != yaml.MappingNode {
		return nil, f.fail(f.top.Line, "want a mapping of keys (tasks, methods, settings, ...), got %s", nodeKind(f.top))
	}
	// A second document would be ignored by the decoder; say so rather than run half a file.
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		if len(extra.Content) > 0 && extra.Content[0].ShortTag() != "!!null" {
			return nil, f.fail(extra.Content[0].Line, "a second YAML document (after ---); a config is one document")
		}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(path, err)
	}
	return f, nil
}

// fail is an error at a line of the file (0: the file as a whole).
func (f *configFile) fail(line int, format string, a ...any) error {
	if line > 0 {
		return fmt.Errorf("%s:%d: %s", f.path, line, fmt.Sprintf(format, a...))
	}
	return fmt.Errorf("%s: %s", f.path, fmt.Sprintf(format, a...))
}

// nodeKind names a YAML node's kind for messages.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	default:
		return "something else"
	}
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
//
// Cells record the backbone and data paths as the file writes them (after ${VAR} expansion,
// cleaned), not as resolved here: a relative path is relative to the config file, so the
// same file gives the same cell ids from any working directory, and on another machine
// that the config, its inputs and its results are copied to together. Joining the file's
// directory in would make "-c kill.yaml" and "-c dir/kill.yaml" disagree and every done cell
// stale. An absolute path (or one a variable expands to) stays as it is: it names another
// input when it differs. Ids made from a config in the working directory are unchanged by
// this choice, since joining "." changed nothing there.
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
	if cfg.Backbone == "" && mapKey(f.top, "backbones") == nil {
		cfg.Backbone = "builtin"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "builtin"
	}
	if cfg.Out == "" {
		cfg.Out = "results"
	}
	if cfg.Backbone != "" {
		cfg.backboneID = cleanPath(cfg.Backbone)
		cfg.written = map[string]string{"": cfg.Backbone}
	}
	cfg.dataID = cleanPath(cfg.DataDir)
	base := filepath.Dir(f.path)
	for _, p := range []*string{&cfg.Backbone, &cfg.DataDir, &cfg.Out} {
		if p == &cfg.DataDir && *p == CLUEData {
			continue // a name, like builtin
		}
		if *p != "builtin" && *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	return nil
}

// cleanPath is a config path in the form cells record: "builtin" as is, else cleaned
// ("./m/" and "m" are one directory) with forward slashes.
func cleanPath(p string) string {
	if p == "builtin" {
		return p
	}
	return filepath.ToSlash(filepath.Clean(p))
}

// fillDefaults sets the device and settings the file leaves out and requires tasks and
// methods.
func (f *configFile) fillDefaults(cfg *Config) error {
	if cfg.Device == "" {
		cfg.Device = "auto"
	} else if f.reg.CheckDevice != nil {
		if err := f.reg.CheckDevice(cfg.Device); err != nil {
			return f.fail(f.line("device"), "device: %v", err)
		}
	}
	if cfg.Threads < 0 {
		return f.fail(f.line("threads"), "threads must not be negative")
	}
	if cfg.Workers < 0 {
		return f.fail(f.line("workers"), "workers must not be negative")
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
