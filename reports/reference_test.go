package reports

import (
	"strings"
	"testing"
)

func TestParseReference(t *testing.T) {
	const good = `references:
  - {task: wsc10, method: fl-tuning, setting: full, metric: accuracy, value: 81.5, source: "Table 1"}
  - {task: wsc10, method: p-tuning-v2, setting: full, value: ~}
claims:
  - id: d
    kind: delta
    task: wsc10
    setting: full
    method: fl-tuning
    baseline: p-tuning-v2
    value: 17.93
    tolerance: 5
  - {id: p, kind: param_ratio, method: fl-tuning, value: 3, tolerance: 0.5}
`
	ref, err := ParseReference("ref.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(ref.Entries) != 2 || ref.Entries[0].Value == nil || *ref.Entries[0].Value != 81.5 || ref.Entries[1].Value != nil {
		t.Errorf("entries = %+v", ref.Entries)
	}
	if len(ref.Claims) != 2 || ref.Claims[0].Value != 17.93 || ref.Claims[0].Line != 5 || ref.Claims[1].Kind != ClaimParams {
		t.Errorf("claims = %+v", ref.Claims)
	}
	if e, ok := ref.Lookup("wsc10", "fl-tuning", "full", "accuracy"); !ok || *e.Value != 81.5 {
		t.Errorf("Lookup = %+v, %v", e, ok)
	}
	if _, ok := ref.Lookup("wsc10", "p-tuning-v2", "full", "accuracy"); ok {
		t.Error("Lookup found an entry without a value")
	}

	bad := []struct {
		name, yaml, want string
	}{
		{"empty", "", "ref.yaml: empty file"},
		{"unknown top key", "refs: []\n", `ref.yaml:1: top level: unknown key "refs"`},
		{"unknown entry key", "references:\n  - task: a\n    method: m\n    setting: full\n    vale: 1\n", `ref.yaml:5: references[0]: unknown key "vale"`},
		{"value not a number", "references:\n  - {task: a, method: m, setting: full, value: high}\n", `ref.yaml:2: references[0]: value: want a number, got str "high"`},
		{"task not a string", "references:\n  - {task: 12, method: m, setting: full}\n", `ref.yaml:2: references[0]: task: want a string, got int "12"`},
		{"missing method", "references:\n  - {task: a, setting: full}\n", "ref.yaml:2: references[0]: missing method"},
		{"bad setting", "references:\n  - {task: a, method: m, setting: fewshot}\n", `ref.yaml:2: references[0]: setting "fewshot": want full or few`},
		{"duplicate entry", "references:\n  - {task: a, method: m, setting: full}\n  - {task: a, method: m, setting: full}\n", "ref.yaml:3: references[1]: a/m/full metric \"\" already given at line 2"},
		{"repeated key", "references:\n  - {task: a, task: b, method: m, setting: full}\n", `ref.yaml:2: references[0]: key "task" repeated`},
		{"references not a list", "references: {task: a}\n", "ref.yaml:1: references: want a list, got a mapping"},
		{"bad kind", "claims:\n  - {id: x, kind: speedup, method: a, value: 1, tolerance: 0}\n", `ref.yaml:2: claims[0] (x): kind "speedup"`},
		{"delta without task", "claims:\n  - {id: x, kind: delta, setting: full, method: a, baseline: b, value: 1, tolerance: 0}\n", "a delta claim needs a task"},
		{"delta without baseline", "claims:\n  - {id: x, kind: delta, task: t, setting: full, method: a, value: 1, tolerance: 0}\n", "needs a baseline"},
		{"missing tolerance", "claims:\n  - {id: x, kind: param_ratio, method: a, value: 3}\n", "ref.yaml:2: claims[0]: missing tolerance"},
		{"empty value", "claims:\n  - {id: x, kind: param_ratio, method: a, value: ~, tolerance: 1}\n", "claims[0]: value must not be empty"},
		{"negative tolerance", "claims:\n  - {id: x, kind: param_ratio, method: a, value: 3, tolerance: -1}\n", "tolerance must not be negative"},
		{"duplicate id", "claims:\n  - {id: x, kind: param_ratio, method: a, value: 3, tolerance: 1}\n  - {id: x, kind: param_ratio, method: a, value: 3, tolerance: 1}\n", `ref.yaml:3: claims[1]: id "x" already used at line 2`},
		{"syntax", "claims: [\n", "ref.yaml: yaml:"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseReference("ref.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// The committed reference file parses and carries the paper's five claims.
func TestRepoReference(t *testing.T) {
	ref, err := LoadReference("../reference.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		kind  string
		value float64
	}{
		"wsc10-fl-vs-ptv2":       {ClaimDelta, 17.93},
		"cluener-fl-vs-ptv2-few": {ClaimDelta, 16.142},
		"wsc-fl-vs-ft":           {ClaimDelta, 12.9},
		"convergence-fl-vs-ptv2": {ClaimConvergence, 1.17},
		"fl-params":              {ClaimParams, 3},
	}
	if len(ref.Claims) != len(want) {
		t.Errorf("%d claims, want %d", len(ref.Claims), len(want))
	}
	for _, c := range ref.Claims {
		w, ok := want[c.ID]
		if !ok || c.Kind != w.kind || c.Value != w.value {
			t.Errorf("claim %+v, want %+v", c, w)
		}
	}
	if len(ref.Entries) == 0 {
		t.Error("no reference entries")
	}
}
