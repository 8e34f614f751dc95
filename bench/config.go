package bench

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

// Hyper holds the training hyper-parameters of one cell. Overlay has the same fields as
// pointers so that a layer of the YAML can set some of them and leave the rest alone.
type Hyper struct {
	MaxLen        int     `json:"max_len"`
	BatchSize     int     `json:"batch_size"`
	EvalBatchSize int     `json:"eval_batch_size"`
	Epochs        float64 `json:"epochs"`
	MaxSteps      int     `json:"max_steps"` // optimiser steps; 0 = from epochs
	LR            float64 `json:"lr"`
	WeightDecay   float64 `json:"weight_decay"`
	Warmup        float64 `json:"warmup"`     // fraction of the steps with linear warm-up
	Clip          float64 `json:"clip"`       // max global gradient norm; 0 = off
	Accumulate    int     `json:"accumulate"` // micro-batches per optimiser step
	EvalEvery     int     `json:"eval_every"` // optimiser steps between dev evaluations; 0 = every epoch
	Patience      int     `json:"patience"`   // stop after this many evaluations without improvement; 0 = off
	Pooler        bool    `json:"pooler"`     // classification head reads the pooler output instead of [CLS]
	HeadDropout   float64 `json:"head_dropout"`
	// FrozenBF16 runs the frozen backbone's matrix products in bfloat16 (model.SetFrozenBF16).
	// omitempty: cells that leave it off keep the ids they had before the key existed.
	FrozenBF16 bool `json:"frozen_bf16,omitempty"`
}

// Overlay is a partial Hyper as written in YAML.
type Overlay struct {
	MaxLen        *int     `yaml:"max_len"`
	BatchSize     *int     `yaml:"batch_size"`
	EvalBatchSize *int     `yaml:"eval_batch_size"`
	Epochs        *float64 `yaml:"epochs"`
	MaxSteps      *int     `yaml:"max_steps"`
	LR            *float64 `yaml:"lr"`
	WeightDecay   *float64 `yaml:"weight_decay"`
	Warmup        *float64 `yaml:"warmup"`
	Clip          *float64 `yaml:"clip"`
	Accumulate    *int     `yaml:"accumulate"`
	EvalEvery     *int     `yaml:"eval_every"`
	Patience      *int     `yaml:"patience"`
	Pooler        *bool    `yaml:"pooler"`
	HeadDropout   *float64 `yaml:"head_dropout"`
	FrozenBF16    *bool    `yaml:"frozen_bf16"`
}

// apply copies the fields set in o onto h.
func (o *Overlay) apply(h *Hyper) {
	if o == nil {
		return
	}
	setp(&h.MaxLen, o.MaxLen)
	setp(&h.BatchSize, o.BatchSize)
	setp(&h.EvalBatchSize, o.EvalBatchSize)
	setp(&h.Epochs, o.Epochs)
	setp(&h.MaxSteps, o.MaxSteps)
	setp(&h.LR, o.LR)
	setp(&h.WeightDecay, o.WeightDecay)
	setp(&h.Warmup, o.Warmup)
	setp(&h.Clip, o.Clip)
	setp(&h.Accumulate, o.Accumulate)
	setp(&h.EvalEvery, o.EvalEvery)
	setp(&h.Patience, o.Patience)
	setp(&h.Pooler, o.Pooler)
	setp(&h.HeadDropout, o.HeadDropout)
	setp(&h.FrozenBF16, o.FrozenBF16)
}

func setp[T any](dst, src *T) {
	if src != nil {
		*dst = *src
	}
}

// validate checks a fully resolved Hyper.
func (h Hyper) validate() error {
	var errs []string
	check := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, msg)
		}
	}
	check(h.MaxLen >= 8, "max_len must be at least 8")
	check(h.BatchSize >= 1, "batch_size must be at least 1")
	check(h.EvalBatchSize >= 0, "eval_batch_size must not be negative")
	check(h.Epochs > 0 || h.MaxSteps > 0, "epochs or max_steps must be positive")
	check(h.LR >= 0, "lr must not be negative")
	check(h.WeightDecay >= 0, "weight_decay must not be negative")
	check(h.Warmup >= 0 && h.Warmup < 1, "warmup is a fraction in [0, 1)")
	check(h.Clip >= 0, "clip must not be negative")
	check(h.Accumulate >= 1, "accumulate must be at least 1")
	check(h.EvalEvery >= 0, "eval_every must not be negative")
	check(h.Patience >= 0, "patience must not be negative")
	check(h.HeadDropout >= 0 && h.HeadDropout < 1, "head_dropout is a probability in [0, 1)")
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// defaultHyper is what a cell gets when the YAML says nothing: the FL-tuning code's common
// values (maxlen 128, batch 32, AdamW with decoupled decay 0.01, linear decay, no warm-up).
var defaultHyper = Hyper{MaxLen: 128, BatchSize: 32, Epochs: 10, LR: 2e-4, WeightDecay: 0.01, Accumulate: 1, HeadDropout: 0.1}

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
// file does not depend on their packages.
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
	fail := func(line int, format string, a ...any) error {
		if line > 0 {
			return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, a...))
		}
		return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, a...))
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg := &Config{Path: path, builtinBackbone: reg.BuiltinBackbone, builtinData: reg.BuiltinData}
	if len(root.Content) == 0 {
		return nil, fail(0, "empty file")
	}
	if err := decodeStrict(b, cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Record lines of map keys for later errors.
	top := root.Content[0]
	for _, sec := range []string{"methods", "tasks", "settings"} {
		n := mapValue(top, sec)
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
	line := func(key string) int {
		if k := mapKey(top, key); k != nil {
			return k.Line
		}
		return 0
	}
	for _, f := range []struct {
		key string
		p   *string
	}{{"backbone", &cfg.Backbone}, {"data_dir", &cfg.DataDir}, {"out", &cfg.Out}} {
		v, err := expandEnv(*f.p)
		if err != nil {
			return nil, fail(line(f.key), "%s: %v", f.key, err)
		}
		*f.p = v
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
	base := filepath.Dir(path)
	for _, p := range []*string{&cfg.Backbone, &cfg.DataDir, &cfg.Out} {
		if *p != "builtin" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	if cfg.Device == "" {
		cfg.Device = "auto"
	}
	if cfg.Threads < 0 {
		return nil, fail(line("threads"), "threads must not be negative")
	}
	if len(cfg.Seeds) == 0 {
		cfg.Seeds = []int64{1}
	}
	if len(cfg.Tasks) == 0 {
		return nil, fail(line("tasks"), "no tasks")
	}
	if len(cfg.Methods) == 0 {
		return nil, fail(line("methods"), "no methods")
	}
	if len(cfg.Settings) == 0 {
		cfg.Settings = map[string]*SettingSpec{"full": {Split: "full"}}
	}
	for _, name := range sortedKeys(cfg.Tasks) {
		t := cfg.Tasks[name]
		if !contains(reg.Tasks, name) {
			return nil, fail(t.line, "unknown task %q (known: %s)", name, strings.Join(reg.Tasks, ", "))
		}
		for m := range t.Methods {
			if cfg.Methods[m] == nil {
				return nil, fail(t.line, "task %s: override for method %q, which is not in methods", name, m)
			}
		}
		for st := range t.Settings {
			if cfg.Settings[st] == nil {
				return nil, fail(t.line, "task %s: override for setting %q, which is not in settings", name, st)
			}
		}
	}
	for _, name := range sortedKeys(cfg.Methods) {
		m := cfg.Methods[name]
		if !contains(reg.Methods, name) {
			return nil, fail(m.line, "unknown method %q (known: %s)", name, strings.Join(reg.Methods, ", "))
		}
		if reg.ResolveOptions != nil {
			var err error
			if m.resolved, err = reg.ResolveOptions(name, &m.Options); err != nil {
				l := m.Options.Line
				if l == 0 {
					l = m.line
				}
				return nil, fail(l, "method %s options: %v", name, err)
			}
		}
	}
	for _, name := range sortedKeys(cfg.Settings) {
		s := cfg.Settings[name]
		if s.Split == "" {
			s.Split = "full"
		}
		if reg.CheckSplit != nil {
			if err := reg.CheckSplit(s.Split); err != nil {
				return nil, fail(s.line, "setting %s: %v", name, err)
			}
		}
	}
	for _, g := range append(append([]string{}, cfg.Include...), cfg.Exclude...) {
		if _, err := filepath.Match(g, "x/y/z"); err != nil {
			return nil, fail(line("include"), "bad pattern %q: %v", g, err)
		}
	}
	// Resolve every combination once so that bad values fail now, not mid-run.
	for _, t := range sortedKeys(cfg.Tasks) {
		for _, m := range sortedKeys(cfg.Methods) {
			for _, s := range sortedKeys(cfg.Settings) {
				if err := cfg.Hyper(t, m, s).validate(); err != nil {
					return nil, fail(cfg.Tasks[t].line, "%s/%s/%s: %v", t, m, s, err)
				}
			}
		}
	}
	return cfg, nil
}

// Hyper resolves the hyper-parameters of a (task, method, setting) combination. Precedence,
// lowest first: built-in defaults, `defaults`, the task, the setting, the method, the task's
// entry for that setting, and the task's entry for that method. Method-level values beat
// task-level ones because they encode what a method needs everywhere (fine-tuning's lower
// learning rate); a task can still override that, per setting or per method.
func (c *Config) Hyper(task, method, setting string) Hyper {
	h := defaultHyper
	c.Defaults.apply(&h)
	if t := c.Tasks[task]; t != nil {
		t.Overlay.apply(&h)
	}
	if s := c.Settings[setting]; s != nil {
		s.Overlay.apply(&h)
	}
	if m := c.Methods[method]; m != nil {
		m.Overlay.apply(&h)
	}
	if t := c.Tasks[task]; t != nil {
		t.Settings[setting].apply(&h)
		t.Methods[method].apply(&h)
	}
	if h.EvalBatchSize == 0 {
		h.EvalBatchSize = 2 * h.BatchSize
	}
	return h
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
