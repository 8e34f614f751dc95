package methods

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// specFromSettings is FromSettings without libtorch: the --set strings' options node, then
// NewSpec.
func specFromSettings(name string, kv []string) (Spec, error) {
	opts, err := SettingsNode(kv)
	if err != nil {
		return nil, err
	}
	return NewSpec(name, opts)
}

// mustSpec builds a method's Spec from --set style options.
func mustSpec(t *testing.T, name string, kv ...string) Spec {
	t.Helper()
	m, err := specFromSettings(name, kv)
	if err != nil {
		t.Fatalf("%s %v: %v", name, kv, err)
	}
	return m
}

func TestRegistryNames(t *testing.T) {
	names := Names()
	if len(names) == 0 {
		t.Fatal("no methods registered")
	}
	if !slices.IsSorted(names) {
		t.Errorf("Names() = %v, not sorted", names)
	}
	for _, n := range names {
		if Summary(n) == "" {
			t.Errorf("%s has no summary", n)
		}
		if Title(n) == n || Title(n) == "" {
			t.Errorf("%s has no title", n)
		}
	}
}

func TestUnknownMethod(t *testing.T) {
	_, err := NewSpec("dora", nil)
	if err == nil {
		t.Fatal("NewSpec(dora) succeeded")
	}
	for _, n := range Names() {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not list %s", err, n)
		}
	}
}

func TestSettings(t *testing.T) {
	if n, err := SettingsNode(nil); n != nil || err != nil {
		t.Errorf("no settings: node %v, error %v; want neither (the defaults)", n, err)
	}
	m, err := specFromSettings("fl-tuning", []string{"units=8"})
	if err != nil {
		t.Fatal(err)
	}
	if o := m.Options().(FLTuningOptions); o.Units != 8 || o.Layers != nil {
		t.Errorf("options = %+v, want units 8, all layers", o)
	}
	m, err = specFromSettings("p-tuning-v2", []string{"prefix_len=32", "positions=shifted", "dropout=0"})
	if err != nil {
		t.Fatal(err)
	}
	if o := m.Options().(PTuningV2Options); o.PrefixLen != 32 || o.Positions != PositionsShifted || o.Dropout != 0 {
		t.Errorf("options = %+v", o)
	}
	if _, err := specFromSettings("fl-tuning", []string{"units"}); err == nil || !strings.Contains(err.Error(), "key=value") {
		t.Errorf("setting without '=': err = %v", err)
	}
}

// TestDefaults builds every registered method with default options: the name round-trips, and
// writing the resolved options out in full gives the same options again, so that a cell that
// spells out the defaults is the same cell as one that leaves them out (their JSON is part of
// a cell's identity). The methods the shipped configs use have their defaults pinned: a change
// there changes the id of every cell that runs them.
func TestDefaults(t *testing.T) {
	pinned := map[string]string{
		"fine-tuning": `{}`,
		"fl-tuning":   `{"units":160}`,
		"p-tuning-v2": `{"prefix_len":160,"dropout":-1,"projection":false,"projection_hidden":512,"positions":"unshifted"}`,
	}
	for _, n := range Names() {
		m, err := NewSpec(n, nil)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if m.Name() != n {
			t.Errorf("NewSpec(%s).Name() = %s", n, m.Name())
		}
		b, err := json.Marshal(m.Options())
		if err != nil {
			t.Fatal(err)
		}
		if want, ok := pinned[n]; ok && string(b) != want {
			t.Errorf("%s options = %s, want %s", n, b, want)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		again, err := NewSpec(n, doc.Content[0])
		if err != nil {
			t.Errorf("%s with its defaults written out (%s): %v", n, b, err)
			continue
		}
		if b2, _ := json.Marshal(again.Options()); string(b2) != string(b) {
			t.Errorf("%s: defaults written out give %s, want %s", n, b2, b)
		}
	}
	for n := range pinned {
		if _, err := NewSpec(n, nil); err != nil {
			t.Errorf("pinned method %s: %v", n, err)
		}
	}
}

func TestBadOptions(t *testing.T) {
	cases := []struct {
		method string
		set    []string
		want   string // substring of the error
	}{
		{"fine-tuning", []string{"units=8"}, "units"},
		{"fl-tuning", []string{"unit=8"}, "unit"},
		{"fl-tuning", []string{"units=0"}, "units must be at least 1"},
		{"fl-tuning", []string{"units=-3"}, "units must be at least 1"},
		{"fl-tuning", []string{"units=many"}, "many"},
		{"fl-tuning", []string{"layers=[]"}, "empty list"},
		{"fl-tuning", []string{"layers=[-1]"}, "negative"},
		{"fl-tuning", []string{"layers=[2,1,2]"}, "listed twice"},
		{"p-tuning-v2", []string{"prefix-len=8"}, "prefix-len"},
		{"p-tuning-v2", []string{"prefix_len=0"}, "prefix_len must be at least 1"},
		{"p-tuning-v2", []string{"dropout=1"}, "dropout must be in [0, 1)"},
		{"p-tuning-v2", []string{"dropout=-0.5"}, "dropout must be in [0, 1)"},
		{"p-tuning-v2", []string{"positions=left"}, `"left"`},
		{"p-tuning-v2", []string{"projection_hidden=64"}, "projection is off"},
		{"p-tuning-v2", []string{"projection=true", "projection_hidden=0"}, "projection_hidden must be at least 1"},
	}
	for _, c := range cases {
		_, err := specFromSettings(c.method, c.set)
		if err == nil {
			t.Errorf("%s %v: no error", c.method, c.set)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %q does not mention %q", c.method, c.set, err, c.want)
		}
	}
}

// TestYAMLOptions goes through NewSpec with a YAML mapping, as experiments.yaml does.
func TestYAMLOptions(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("units: 16\nlayers: [11, 0]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	m, err := NewSpec("fl-tuning", doc.Content[0])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m.Options())
	if string(b) != `{"units":16,"layers":[0,11]}` {
		t.Errorf("options = %s", b)
	}
	doc = yaml.Node{}
	if err := yaml.Unmarshal([]byte("[1, 2]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSpec("fl-tuning", doc.Content[0]); err == nil {
		t.Error("a YAML list as options was accepted")
	}
}

func TestRegisterRejects(t *testing.T) {
	factory := func(Decode) (Spec, error) { return &FineTuning{}, nil }
	before := Names()
	// Invalid names, then every registered name again.
	for _, name := range append([]string{"", "LoRA", "lo ra", "lo_ra", "a/b"}, before...) {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", name)
				}
			}()
			Register(name, "X", "x", factory)
		}()
	}
	if after := Names(); !slices.Equal(after, before) {
		t.Errorf("registry changed: %v, was %v", after, before)
	}
}
