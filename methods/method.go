package methods

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/clue-bench/clue-bench/model"
)

// Spec is one configured tuning method as far as it can be known without libtorch: its name,
// its resolved options, which variables train and what it adds. It builds without cgo, so a
// tool that only plans or reports can compute cell ids and parameter counts; Method
// (method_torch.go) adds how it attaches to the encoder.
type Spec interface {
	// Name is the registered name, e.g. "fl-tuning".
	Name() string
	// Options returns the method's resolved options (defaults filled in); their JSON form is
	// part of a cell's identity.
	Options() any
	// Trains reports whether the encoder or method variable with this full name trains. Task
	// heads always train; the runner decides those. Method variables exist only once attached,
	// so before Attach it answers for encoder variables alone.
	Trains(name string) bool
	// Count returns, from the model config alone, the parameters the method adds to the model
	// and the number of encoder-side parameters that train under it (added ones included).
	Count(cfg model.Config) (added, trainableBackbone int64)
}

// Decode fills an options struct from the YAML options node, rejecting unknown keys.
type Decode func(v any) error

// Factory builds a method from its options. In a cgo build the Spec it returns must also be a
// Method (each method's torch file checks that at compile time).
type Factory func(decode Decode) (Spec, error)

type entry struct {
	title, summary string
	factory        Factory
}

var registry = map[string]entry{}

// Register adds a method under its name, with the title reports print for it ("LoRA") and a
// one-line summary; called from init, so a bad or duplicate name is a programming error.
func Register(name, title, summary string, f Factory) {
	if name == "" || strings.ToLower(name) != name || strings.ContainsAny(name, " /_") {
		panic(fmt.Sprintf("methods: bad name %q (lower-case, dashes)", name))
	}
	if _, dup := registry[name]; dup {
		panic("methods: duplicate registration of " + name)
	}
	registry[name] = entry{title, summary, f}
}

// Names lists the registered methods, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Summary is a method's one-line description.
func Summary(name string) string { return registry[name].summary }

// Title is a method's display name, e.g. "LoRA"; the name itself for an unknown method.
func Title(name string) string {
	if e, ok := registry[name]; ok && e.title != "" {
		return e.title
	}
	return name
}

// NewSpec builds the named method's Spec from a YAML options node (nil or empty: defaults).
func NewSpec(name string, opts *yaml.Node) (Spec, error) {
	e, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown method %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return e.factory(func(v any) error { return decodeNode(opts, v) })
}

// SettingsNode turns key=value strings (the CLI's --set) into a YAML options node for NewSpec
// or New; no strings give nil, the defaults.
func SettingsNode(kv []string) (*yaml.Node, error) {
	var sb strings.Builder
	for _, s := range kv {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want key=value", s)
		}
		fmt.Fprintf(&sb, "%s: %s\n", k, v)
	}
	if sb.Len() == 0 {
		return nil, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(sb.String()), &doc); err != nil {
		return nil, fmt.Errorf("--set: %w", err)
	}
	return doc.Content[0], nil
}

// decodeNode decodes n into v strictly. yaml.v3's Node.Decode cannot reject unknown fields,
// so the node is re-encoded and decoded with KnownFields; the caller reports n's line.
func decodeNode(n *yaml.Node, v any) error {
	if n == nil || n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return errors.New("options must be a mapping")
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err = dec.Decode(v)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			// Line numbers refer to the re-encoded node, not the user's file: drop them.
			msgs[i] = lineRef.ReplaceAllString(m, "")
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return err
}

var lineRef = regexp.MustCompile(`^line \d+: `)

// Check reports whether m's options fit the model config (FL-tuning's layer indices, P-tuning
// v2's shifted positions) without building anything; Attach makes the same checks. Use it to
// fail early, e.g. before counting parameters from a config alone.
func Check(m Spec, cfg model.Config) error {
	if c, ok := m.(interface{ check(model.Config) error }); ok {
		if err := c.check(cfg); err != nil {
			return fmt.Errorf("%s: %w", m.Name(), err)
		}
	}
	return nil
}

// MaxSeqLen is the longest input, in tokens, the encoder takes under m: max_position_embeddings
// less the positions the method uses itself (P-tuning v2 with shifted positions moves real
// tokens behind the prefix). A runner should check its max_len against this before training;
// otherwise the first long batch fails in Forward.
func MaxSeqLen(m Spec, cfg model.Config) int64 {
	if u, ok := m.(interface{ positionsUsed(model.Config) int64 }); ok {
		return cfg.MaxPositionEmbeddings - u.positionsUsed(cfg)
	}
	return cfg.MaxPositionEmbeddings
}

// paramSet holds the full names of the variables a method made (tensors.go's add creates them),
// so that Trains answers for exactly those.
type paramSet struct {
	names map[string]bool
}

// has reports whether the set made the variable with this full name.
func (ps *paramSet) has(name string) bool { return ps.names[name] }
