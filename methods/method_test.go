package methods

import (
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestRegistryNames(t *testing.T) {
	want := []string{"fine-tuning", "fl-tuning", "p-tuning-v2"}
	if got := Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	for _, n := range want {
		if Summary(n) == "" {
			t.Errorf("%s has no summary", n)
		}
	}
}

func TestUnknownMethod(t *testing.T) {
	_, err := New("lora", nil)
	if err == nil {
		t.Fatal("New(lora) succeeded")
	}
	for _, n := range Names() {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not list %s", err, n)
		}
	}
}

func TestFromSettings(t *testing.T) {
	m, err := FromSettings("fl-tuning", []string{"units=8"})
	if err != nil {
		t.Fatal(err)
	}
	if o := m.Options().(FLTuningOptions); o.Units != 8 || o.Layers != nil {
		t.Errorf("options = %+v, want units 8, all layers", o)
	}
	m, err = FromSettings("p-tuning-v2", []string{"prefix_len=32", "positions=shifted", "dropout=0"})
	if err != nil {
		t.Fatal(err)
	}
	if o := m.Options().(PTuningV2Options); o.PrefixLen != 32 || o.Positions != PositionsShifted || o.Dropout != 0 {
		t.Errorf("options = %+v", o)
	}
	if _, err := FromSettings("fl-tuning", []string{"units"}); err == nil || !strings.Contains(err.Error(), "key=value") {
		t.Errorf("setting without '=': err = %v", err)
	}
}

// TestDefaults pins each method's resolved options: their JSON is part of a cell's identity.
func TestDefaults(t *testing.T) {
	want := map[string]string{
		"fine-tuning": `{}`,
		"fl-tuning":   `{"units":160}`,
		"p-tuning-v2": `{"prefix_len":160,"dropout":-1,"projection":false,"projection_hidden":512,"positions":"unshifted"}`,
	}
	for _, n := range Names() {
		m, err := New(n, nil)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		b, err := json.Marshal(m.Options())
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want[n] {
			t.Errorf("%s options = %s, want %s", n, b, want[n])
		}
		if m.Name() != n {
			t.Errorf("New(%s).Name() = %s", n, m.Name())
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
		_, err := FromSettings(c.method, c.set)
		if err == nil {
			t.Errorf("%s %v: no error", c.method, c.set)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %q does not mention %q", c.method, c.set, err, c.want)
		}
	}
}

// TestYAMLOptions goes through New with a YAML mapping, as experiments.yaml does.
func TestYAMLOptions(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("units: 16\nlayers: [11, 0]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	m, err := New("fl-tuning", doc.Content[0])
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
	if _, err := New("fl-tuning", doc.Content[0]); err == nil {
		t.Error("a YAML list as options was accepted")
	}
}

func TestRegisterRejects(t *testing.T) {
	factory := func(Decode) (Method, error) { return &FineTuning{}, nil }
	for _, name := range []string{"", "LoRA", "lo ra", "lo_ra", "a/b", "fl-tuning"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", name)
				}
			}()
			Register(name, "x", factory)
		}()
	}
	if len(Names()) != 3 {
		t.Errorf("registry changed: %v", Names())
	}
}
