package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Reference is reference.yaml: published numbers to print beside ours, and the paper's
// claims to check against our results.
type Reference struct {
	Path    string
	Entries []RefEntry
	Claims  []Claim
}

// RefEntry is one published number. Setting is a regime (full or few), because papers
// report one number per regime, not per split file.
type RefEntry struct {
	Task    string
	Method  string
	Setting string   // full | few
	Metric  string   // empty: the task's headline metric
	Value   *float64 // nil: not filled in yet
	Source  string
	Line    int
}

// Claim kinds.
const (
	// ClaimDelta: Method beats Baseline by Value points of Metric on Task (in the metric's
	// better direction).
	ClaimDelta = "delta"
	// ClaimConvergence: Method reaches its best dev score Value times sooner than Baseline
	// (Baseline's steps-to-best / Method's), per Task or, without one, as the geometric mean
	// over every (setting, task) both ran.
	ClaimConvergence = "convergence_ratio"
	// ClaimParams: Method trains Value percent of the model's parameters.
	ClaimParams = "param_ratio"
)

var claimKinds = []string{ClaimDelta, ClaimConvergence, ClaimParams}

// Claim is a typed, checkable statement from a paper. It holds when our value is within
// Tolerance of Value: |ours − Value| ≤ Tolerance.
type Claim struct {
	ID        string
	Text      string
	Kind      string
	Task      string // delta: required; otherwise empty means every task
	Setting   string // full | few; delta: required; otherwise empty means both
	Metric    string // delta only; empty: the task's headline metric
	Method    string
	Baseline  string // delta and convergence_ratio
	Value     float64
	Tolerance float64
	Source    string
	Line      int
}

// LoadReference reads and validates a reference file.
func LoadReference(path string) (*Reference, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	return ParseReference(path, b)
}

// ParseReference parses reference YAML strictly: unknown keys, duplicate keys, wrong types
// and missing required fields are errors naming path:line. path is only used in messages.
func ParseReference(path string, b []byte) (*Reference, error) {
	var doc yaml.Node
	err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	d := decoder{path: path}
	ref := &Reference{Path: path}
	var refs, claims *yaml.Node
	if err := d.fields(doc.Content[0], "top level", []field{{key: "references", node: &refs}, {key: "claims", node: &claims}}); err != nil {
		return nil, err
	}
	refItems, err := d.items(refs, "references")
	if err != nil {
		return nil, err
	}
	claimItems, err := d.items(claims, "claims")
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	for i, n := range refItems {
		e := RefEntry{Line: n.Line}
		err := d.fields(n, fmt.Sprintf("references[%d]", i), []field{
			{key: "task", str: &e.Task, required: true},
			{key: "method", str: &e.Method, required: true},
			{key: "setting", str: &e.Setting, required: true},
			{key: "metric", str: &e.Metric},
			{key: "value", optNum: &e.Value},
			{key: "source", str: &e.Source},
		})
		if err != nil {
			return nil, err
		}
		if err := checkRegime(e.Setting, false); err != nil {
			return nil, d.errf(n, "references[%d]: %v", i, err)
		}
		k := strings.Join([]string{e.Task, e.Method, e.Setting, e.Metric}, "/")
		if prev, dup := seen[k]; dup {
			return nil, d.errf(n, "references[%d]: %s/%s/%s metric %q already given at line %d", i, e.Task, e.Method, e.Setting, e.Metric, prev)
		}
		seen[k] = n.Line
		ref.Entries = append(ref.Entries, e)
	}
	ids := map[string]int{}
	for i, n := range claimItems {
		c := Claim{Line: n.Line}
		err := d.fields(n, fmt.Sprintf("claims[%d]", i), []field{
			{key: "id", str: &c.ID, required: true},
			{key: "text", str: &c.Text},
			{key: "kind", str: &c.Kind, required: true},
			{key: "task", str: &c.Task},
			{key: "setting", str: &c.Setting},
			{key: "metric", str: &c.Metric},
			{key: "method", str: &c.Method, required: true},
			{key: "baseline", str: &c.Baseline},
			{key: "value", num: &c.Value, required: true},
			{key: "tolerance", num: &c.Tolerance, required: true},
			{key: "source", str: &c.Source},
		})
		if err != nil {
			return nil, err
		}
		if err := c.validate(); err != nil {
			return nil, d.errf(n, "claims[%d] (%s): %v", i, c.ID, err)
		}
		if prev, dup := ids[c.ID]; dup {
			return nil, d.errf(n, "claims[%d]: id %q already used at line %d", i, c.ID, prev)
		}
		ids[c.ID] = n.Line
		ref.Claims = append(ref.Claims, c)
	}
	return ref, nil
}

func (c *Claim) validate() error {
	known := false
	for _, k := range claimKinds {
		known = known || c.Kind == k
	}
	if !known {
		return fmt.Errorf("kind %q: want one of %s", c.Kind, strings.Join(claimKinds, ", "))
	}
	if c.Tolerance < 0 {
		return errors.New("tolerance must not be negative")
	}
	if err := checkRegime(c.Setting, c.Kind != ClaimDelta); err != nil {
		return err
	}
	switch c.Kind {
	case ClaimDelta:
		if c.Task == "" {
			return errors.New("a delta claim needs a task")
		}
	case ClaimParams:
		if c.Baseline != "" || c.Metric != "" {
			return errors.New("a param_ratio claim takes no baseline or metric")
		}
		return nil
	}
	if c.Kind == ClaimConvergence && c.Metric != "" {
		return errors.New("a convergence_ratio claim uses the headline metric; drop metric")
	}
	if c.Baseline == "" || c.Baseline == c.Method {
		return errors.New("needs a baseline method other than method")
	}
	return nil
}

func checkRegime(s string, emptyOK bool) error {
	if s == RegimeFull || s == RegimeFew || (emptyOK && s == "") {
		return nil
	}
	return fmt.Errorf("setting %q: want %s or %s", s, RegimeFull, RegimeFew)
}

// Lookup finds the published value for a (task, method, regime); metric "" or an entry
// without a metric matches the headline metric given.
func (r *Reference) Lookup(task, method, regime, headline string) (RefEntry, bool) {
	if r == nil {
		return RefEntry{}, false
	}
	for _, e := range r.Entries {
		if e.Task == task && e.Method == method && e.Setting == regime && e.Value != nil && (e.Metric == "" || e.Metric == headline) {
			return e, true
		}
	}
	return RefEntry{}, false
}

// decoder walks yaml.Node trees so that every error can name the line it is about.
type decoder struct {
	path string
}

func (d *decoder) errf(n *yaml.Node, format string, a ...any) error {
	return fmt.Errorf("%s:%d: %s", d.path, n.Line, fmt.Sprintf(format, a...))
}

// field describes one mapping key; exactly one destination is set.
type field struct {
	key      string
	required bool
	str      *string
	num      *float64
	optNum   **float64 // null or absent leaves it nil
	node     **yaml.Node
}

func (d *decoder) fields(n *yaml.Node, what string, fs []field) error {
	if n.Kind != yaml.MappingNode {
		return d.errf(n, "%s: want a mapping", what)
	}
	set := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if prev, dup := set[k.Value]; dup {
			return d.errf(k, "%s: key %q repeated (first at line %d)", what, k.Value, prev)
		}
		set[k.Value] = k.Line
		f := findField(fs, k.Value)
		if f == nil {
			var known []string
			for _, f := range fs {
				known = append(known, f.key)
			}
			sort.Strings(known)
			return d.errf(k, "%s: unknown key %q (known: %s)", what, k.Value, strings.Join(known, ", "))
		}
		if err := d.set(f, v, what); err != nil {
			return err
		}
	}
	for _, f := range fs {
		if _, ok := set[f.key]; f.required && !ok {
			return d.errf(n, "%s: missing %s", what, f.key)
		}
	}
	return nil
}

func findField(fs []field, key string) *field {
	for i := range fs {
		if fs[i].key == key {
			return &fs[i]
		}
	}
	return nil
}

func (d *decoder) set(f *field, v *yaml.Node, what string) error {
	isNull := v.Kind == yaml.ScalarNode && v.Tag == "!!null"
	switch {
	case f.node != nil:
		if !isNull {
			*f.node = v
		}
		return nil
	case isNull && f.optNum != nil:
		return nil
	case isNull && f.required:
		return d.errf(v, "%s: %s must not be empty", what, f.key)
	case isNull:
		return nil
	case f.str != nil:
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			return d.errf(v, "%s: %s: want a string, got %s", what, f.key, describe(v))
		}
		*f.str = v.Value
		return nil
	}
	if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") {
		return d.errf(v, "%s: %s: want a number, got %s", what, f.key, describe(v))
	}
	x, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64)
	if err != nil {
		return d.errf(v, "%s: %s: %q is not a number", what, f.key, v.Value)
	}
	if f.num != nil {
		*f.num = x
	} else {
		*f.optNum = &x
	}
	return nil
}

// items returns a sequence's elements (none for an absent key).
func (d *decoder) items(n *yaml.Node, what string) ([]*yaml.Node, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, d.errf(n, "%s: want a list, got %s", what, describe(n))
	}
	return n.Content, nil
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("%s %q", strings.TrimPrefix(n.Tag, "!!"), n.Value)
}
