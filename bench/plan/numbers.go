package plan

import (
	"math"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// nodeType is yaml.Node's type: fields of that type (method options) are decoded later, by
// their method, and checked against the type they resolve to.
var nodeType = reflect.TypeOf(yaml.Node{})

// checkNumbers walks the YAML value n as the Go type t it decodes into, and reports at the
// value's line what yaml.v3 accepts but should not: a fractional number for an integer
// (it truncates seeds: [1.5] to 1) and .inf or .nan for a float (+Inf passes every "not
// negative" check, trains, and then cannot be recorded as JSON). key is where n sits in the
// file, as "tasks.afqmc.lr" or "seeds[1]", for the message. Type mismatches are left to the
// decoder, which has already reported them.
func (f *configFile) checkNumbers(n *yaml.Node, t reflect.Type, key string) error {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		return f.checkNumbers(n.Alias, t, key)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Interface || t == nodeType {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" { // a merge key: its mapping(s) are this struct's keys too
				if err := f.checkMerge(v, t, key); err != nil {
					return err
				}
				continue
			}
			if ft, ok := fields[k.Value]; ok {
				if err := f.checkNumbers(v, ft, joinKey(key, k.Value)); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := f.checkNumbers(n.Content[i+1], t.Elem(), joinKey(key, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, e := range n.Content {
			if err := f.checkNumbers(e, t.Elem(), key+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!float" {
			return nil
		}
		var x float64
		if err := n.Decode(&x); err != nil {
			return nil
		}
		// A whole number written as a float (2.0, 1e3) means what it says.
		if math.IsInf(x, 0) || math.IsNaN(x) || x != math.Trunc(x) {
			return f.fail(n.Line, "%s must be an integer, got %s", key, n.Value)
		}
	case reflect.Float32, reflect.Float64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!float" {
			return nil
		}
		var x float64
		if err := n.Decode(&x); err != nil {
			return nil
		}
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return f.fail(n.Line, "%s", finiteMsg(key, x))
		}
	}
	return nil
}

// checkMerge checks the value of a "<<" merge key: a mapping or a sequence of mappings.
func (f *configFile) checkMerge(v *yaml.Node, t reflect.Type, key string) error {
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	if v.Kind == yaml.SequenceNode {
		for _, e := range v.Content {
			if err := f.checkMerge(e, t, key); err != nil {
				return err
			}
		}
		return nil
	}
	return f.checkNumbers(v, t, key)
}

// yamlFields maps a struct's YAML keys to their field types, descending into inline structs.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") {
			ft := sf.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name) // yaml.v3's default key
		}
		out[name] = sf.Type
	}
	return out
}

func joinKey(parent, k string) string {
	if parent == "" {
		return k
	}
	return parent + "." + k
}
