//go:build cgo

package methods

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestNewAndFromSettings checks the libtorch side of the registry: every registered method
// attaches (New succeeds), New and FromSettings resolve the same options as NewSpec, and their
// errors are NewSpec's and SettingsNode's.
func TestNewAndFromSettings(t *testing.T) {
	for _, n := range Names() {
		spec, err := NewSpec(n, nil)
		if err != nil {
			t.Fatalf("NewSpec(%s): %v", n, err)
		}
		m, err := New(n, nil)
		if err != nil {
			t.Errorf("New(%s): %v", n, err)
			continue
		}
		want, _ := json.Marshal(spec.Options())
		got, _ := json.Marshal(m.Options())
		if m.Name() != n || string(got) != string(want) {
			t.Errorf("New(%s) = %s %s, want %s %s", n, m.Name(), got, n, want)
		}
	}
	m, err := FromSettings("fl-tuning", []string{"units=8", "layers=[3,1]"})
	if err != nil {
		t.Fatal(err)
	}
	if o := m.Options().(FLTuningOptions); o.Units != 8 || !slices.Equal(o.Layers, []int64{1, 3}) {
		t.Errorf("options = %+v, want units 8, layers [1 3]", o)
	}
	if _, err := New("dora", nil); err == nil || !strings.Contains(err.Error(), `unknown method "dora"`) {
		t.Errorf("New(dora): err = %v", err)
	}
	// A malformed setting is reported before the name is looked up.
	if _, err := FromSettings("dora", []string{"units"}); err == nil || !strings.Contains(err.Error(), "key=value") {
		t.Errorf("FromSettings(dora, units): err = %v", err)
	}
	if _, err := FromSettings("fl-tuning", []string{"units=0"}); err == nil || !strings.Contains(err.Error(), "units must be at least 1") {
		t.Errorf("FromSettings(fl-tuning, units=0): err = %v", err)
	}
}
