package plan

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A hyper-parameter written as a list (lr: [1.0e-4, 3.0e-4]) is a grid axis: the combination
// it applies to is run once per value. Lists may stand at any layer (defaults, a task, a
// setting, a method, a task's per-setting or per-method entry) and follow the layers'
// precedence like scalars do: whatever the most specific layer that sets a key says wins,
// so a scalar there overrides a list at a less specific layer, and a list there overrides a
// scalar (or another list) at a less specific one. A combination's grid is the product of the
// lists that win for it, axes in the order of Hyper's fields and values in the order written.

// gridList is one list-valued hyper-parameter of one layer.
type gridList struct {
	key    string // the YAML key, "lr"
	where  string // the key's place in the file, "tasks.afqmc.lr", for messages
	line   int
	values []any // of the Hyper field's type: int, float64 or bool
}

// gridPoint is one value of each list that wins for a combination (its axes).
type gridPoint []gridValue

// gridValue is the i-th value of a list.
type gridValue struct {
	list *gridList
	i    int
}

// String is the point's canonical form, "lr=0.001,batch_size=16" in Hyper field order (""
// for the one point of a combination without lists): cells record it, and it names them.
func (p gridPoint) String() string {
	parts := make([]string, len(p))
	for i, a := range p {
		parts[i] = a.list.key + "=" + formatGridValue(a.list.values[a.i])
	}
	return strings.Join(parts, ",")
}

func formatGridValue(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// apply sets the point's values on h.
func (p gridPoint) apply(h *Hyper) {
	v := reflect.ValueOf(h).Elem()
	for _, a := range p {
		v.Field(hyperField[a.list.key]).Set(reflect.ValueOf(a.list.values[a.i]))
	}
}

// hyperKeys are Overlay's YAML keys in field order, and hyperField maps each to the index of
// the Hyper field of the same name.
var hyperKeys, hyperField = func() ([]string, map[string]int) {
	var keys []string
	fields := map[string]int{}
	ht := reflect.TypeOf(Hyper{})
	byJSON := map[string]int{}
	for i := 0; i < ht.NumField(); i++ {
		name, _, _ := strings.Cut(ht.Field(i).Tag.Get("json"), ",")
		byJSON[name] = i
	}
	ot := reflect.TypeOf(Overlay{})
	for i := 0; i < ot.NumField(); i++ {
		k := ot.Field(i).Tag.Get("yaml")
		keys = append(keys, k)
		fields[k] = byJSON[k]
	}
	return keys, fields
}()

// hasGrid reports whether any hyper-parameter of the config is a list.
func (c *Config) hasGrid() bool { return len(c.grids) > 0 }

// layers are the overlays of a combination, least specific first (see Hyper); entries may be
// nil (a task without an entry for the setting or method).
func (c *Config) layers(task, method, setting string) []*Overlay {
	ls := []*Overlay{&c.Defaults}
	if t := c.Tasks[task]; t != nil {
		ls = append(ls, &t.Overlay)
	}
	if s := c.Settings[setting]; s != nil {
		ls = append(ls, &s.Overlay)
	}
	if m := c.Methods[method]; m != nil {
		ls = append(ls, &m.Overlay)
	}
	if t := c.Tasks[task]; t != nil {
		ls = append(ls, t.Settings[setting], t.Methods[method])
	}
	return ls
}

// axes are the lists that win for a combination, in Hyper field order.
func (c *Config) axes(task, method, setting string) []*gridList {
	if !c.hasGrid() {
		return nil
	}
	win := map[string]*gridList{}
	for _, o := range c.layers(task, method, setting) {
		if o == nil {
			continue
		}
		ov := reflect.ValueOf(o).Elem()
		for i, k := range hyperKeys {
			if !ov.Field(i).IsNil() {
				win[k] = nil
			}
			if l := c.grids[o][k]; l != nil {
				win[k] = l
			}
		}
	}
	var out []*gridList
	for _, k := range hyperKeys {
		if l := win[k]; l != nil {
			out = append(out, l)
		}
	}
	return out
}

// points lists a combination's grid points, the first axis outermost: one empty point when
// no list applies.
func (c *Config) points(task, method, setting string) []gridPoint {
	pts := []gridPoint{nil}
	for _, l := range c.axes(task, method, setting) {
		var next []gridPoint
		for _, p := range pts {
			for i := range l.values {
				next = append(next, append(append(gridPoint{}, p...), gridValue{l, i}))
			}
		}
		pts = next
	}
	return pts
}

// GridSize is how many grid points the config has summed over its (task, method, setting)
// combinations, and how many combinations there are; without lists the two are equal.
func (c *Config) GridSize() (points, combos int) {
	for _, t := range sortedKeys(c.Tasks) {
		for _, m := range sortedKeys(c.Methods) {
			for _, s := range sortedKeys(c.Settings) {
				points += len(c.points(t, m, s))
				combos++
			}
		}
	}
	return points, combos
}

// GridAxes lists the config's lists as "where=[v1 v2 …]" in file order, for `bench plan`.
func (c *Config) GridAxes() []string {
	var ls []*gridList
	for _, m := range c.grids {
		for _, l := range m {
			ls = append(ls, l)
		}
	}
	if len(ls) == 0 {
		return nil
	}
	sortLists(ls)
	out := make([]string, len(ls))
	for i, l := range ls {
		vs := make([]string, len(l.values))
		for j, v := range l.values {
			vs[j] = formatGridValue(v)
		}
		out[i] = l.where + "=[" + strings.Join(vs, " ") + "]"
	}
	return out
}

func sortLists(ls []*gridList) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && (ls[j].line < ls[j-1].line || ls[j].line == ls[j-1].line && ls[j].where < ls[j-1].where); j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

// decodeGrid decodes the file into cfg like decodeStrict, after taking the hyper-parameter
// lists out: it finds them in the YAML tree, checks them, lets the decoder report them as
// type errors and drops exactly those errors, then leaves their Overlay fields unset and
// records the lists by overlay. A file without lists decodes as decodeStrict decodes it.
func (f *configFile) decodeGrid(b []byte, cfg *Config) error {
	found, err := f.findLists()
	if err != nil {
		return err
	}
	if len(found) == 0 {
		if err := decodeStrict(b, cfg); err != nil {
			return yamlError(f.path, err)
		}
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err = dec.Decode(cfg)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		listErr := map[string]bool{}
		for _, l := range found {
			for _, typ := range []string{"int", "float64", "bool"} {
				listErr[fmt.Sprintf("line %d: cannot unmarshal !!seq into %s", l.line, typ)] = true
			}
		}
		var rest []string
		for _, e := range te.Errors {
			if !listErr[e] {
				rest = append(rest, e)
			}
		}
		err = nil
		if len(rest) > 0 {
			err = errors.New(strings.Join(rest, "; "))
		}
	}
	if err != nil {
		return yamlError(f.path, err)
	}
	cfg.grids = map[*Overlay]map[string]*gridList{}
	for _, l := range found {
		o := l.overlay(cfg)
		if o == nil { // the decoder placed every key it found; a miss is a bug here
			return f.fail(l.line, "%s: internal error: no layer for the list", l.where)
		}
		reflect.ValueOf(o).Elem().FieldByIndex(overlayIndex(l.key)).SetZero()
		if cfg.grids[o] == nil {
			cfg.grids[o] = map[string]*gridList{}
		}
		cfg.grids[o][l.key] = l.gridList
	}
	return nil
}

// overlayIndex is the index of the Overlay field of a YAML key.
func overlayIndex(key string) []int {
	for i, k := range hyperKeys {
		if k == key {
			return []int{i}
		}
	}
	return nil
}

// foundList is a list with the path to its layer: section ("defaults", "tasks", "methods",
// "settings"), name, and for a task's entries sub ("settings", "methods") and subName.
type foundList struct {
	*gridList
	section, name, sub, subName string
}

// overlay is the decoded layer the list belongs to.
func (l *foundList) overlay(cfg *Config) *Overlay {
	switch l.section {
	case "defaults":
		return &cfg.Defaults
	case "methods":
		if m := cfg.Methods[l.name]; m != nil {
			return &m.Overlay
		}
	case "settings":
		if s := cfg.Settings[l.name]; s != nil {
			return &s.Overlay
		}
	case "tasks":
		t := cfg.Tasks[l.name]
		if t == nil {
			return nil
		}
		switch l.sub {
		case "":
			return &t.Overlay
		case "settings":
			return t.Settings[l.subName]
		case "methods":
			return t.Methods[l.subName]
		}
	}
	return nil
}

// findLists walks the layers of the YAML tree for list-valued hyper-parameters and checks
// each one.
func (f *configFile) findLists() ([]*foundList, error) {
	var out []*foundList
	visit := func(n *yaml.Node, where, section, name, sub, subName string) error {
		n = deref(n)
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], deref(n.Content[i+1])
			if _, ok := hyperField[k.Value]; !ok || v == nil || v.Kind != yaml.SequenceNode {
				continue
			}
			l, err := f.checkList(k.Value, joinKey(where, k.Value), v)
			if err != nil {
				return err
			}
			out = append(out, &foundList{gridList: l, section: section, name: name, sub: sub, subName: subName})
		}
		return nil
	}
	if err := visit(mapValue(f.top, "defaults"), "defaults", "defaults", "", "", ""); err != nil {
		return nil, err
	}
	for _, sec := range []string{"methods", "settings", "tasks"} {
		m := deref(mapValue(f.top, sec))
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			name, e := m.Content[i].Value, m.Content[i+1]
			where := sec + "." + name
			if err := visit(e, where, sec, name, "", ""); err != nil {
				return nil, err
			}
			if sec != "tasks" {
				continue
			}
			for _, sub := range []string{"settings", "methods"} {
				s := deref(mapValue(deref(e), sub))
				if s == nil || s.Kind != yaml.MappingNode {
					continue
				}
				for j := 0; j+1 < len(s.Content); j += 2 {
					sn := s.Content[j].Value
					if err := visit(s.Content[j+1], where+"."+sub+"."+sn, sec, name, sub, sn); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return out, nil
}

func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}

// checkList reads a list of values for key: not empty, every value a scalar of the key's
// type (whole numbers for integers, finite numbers for floats), no value twice.
func (f *configFile) checkList(key, where string, n *yaml.Node) (*gridList, error) {
	if len(n.Content) == 0 {
		return nil, f.fail(n.Line, "%s: empty list; give at least one value (a list of values is a grid axis)", where)
	}
	kind := reflect.TypeOf(Hyper{}).Field(hyperField[key]).Type.Kind()
	l := &gridList{key: key, where: where, line: n.Line}
	seen := map[string]int{}
	for i, e := range n.Content {
		e = deref(e)
		at := fmt.Sprintf("%s[%d]", where, i)
		if e.Kind != yaml.ScalarNode {
			return nil, f.fail(e.Line, "%s: want a value, got %s; a grid axis is a flat list", at, nodeKind(e))
		}
		tag := e.ShortTag()
		var v any
		switch kind {
		case reflect.Bool:
			var b bool
			if tag != "!!bool" || e.Decode(&b) != nil {
				return nil, f.fail(e.Line, "%s: want true or false, got %s (a list's values must all have the key's type)", at, e.Value)
			}
			v = b
		case reflect.Int:
			var x float64
			if (tag != "!!int" && tag != "!!float") || e.Decode(&x) != nil {
				return nil, f.fail(e.Line, "%s: want an integer, got %s (a list's values must all have the key's type)", at, e.Value)
			}
			if math.IsInf(x, 0) || math.IsNaN(x) || x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return nil, f.fail(e.Line, "%s must be an integer, got %s", at, e.Value)
			}
			v = int(x)
		default:
			var x float64
			if (tag != "!!int" && tag != "!!float") || e.Decode(&x) != nil {
				return nil, f.fail(e.Line, "%s: want a number, got %s (a list's values must all have the key's type)", at, e.Value)
			}
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return nil, f.fail(e.Line, "%s", finiteMsg(at, x))
			}
			v = x
		}
		s := formatGridValue(v)
		if j, dup := seen[s]; dup {
			return nil, f.fail(e.Line, "%s: %s is also %s[%d]; it would run the same cells twice", at, s, where, j)
		}
		seen[s] = i
		l.values = append(l.values, v)
	}
	return l, nil
}
