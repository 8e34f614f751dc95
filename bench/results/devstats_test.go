package results

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/plan"
)

// A dev statistics file beside a result round-trips, is not taken for a result, and a file
// whose header does not describe its rows is refused.
func TestDevStatsFile(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := plan.Cell{Task: "afqmc", Method: "fl-tuning", Setting: "full", Seed: 1}
	c.ID = c.ContentID()
	d := &DevStats{Task: "afqmc", Selection: "full", Split: "dev", Metric: "accuracy", Examples: 3, DevHash: "sha256:ab",
		Columns: []string{"correct"}, Rows: [][]float64{{1}, {0}, {1}}}
	path := st.DevStatsPath(c.Key())
	if err := WriteDevStats(path, d); err != nil {
		t.Fatal(err)
	}
	if err := st.Write(&Result{Cell: c, Status: ResultOK, DevStats: "cells/" + c.Key() + ".dev.json", Test: map[string]float64{"accuracy": 50}}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDevStats(path)
	if err != nil || !reflect.DeepEqual(got, d) || got.Schema != DevStatsSchema {
		t.Fatalf("read back %+v, %v; want %+v", got, err, d)
	}
	keys, err := st.Keys()
	if err != nil || len(keys) != 1 || keys[0] != c.Key() {
		t.Fatalf("keys %v, %v; want only %s", keys, err, c.Key())
	}
	rs, err := st.All()
	if err != nil || len(rs) != 1 || rs[0].Test["accuracy"] != 50 || rs[0].DevStats == "" {
		t.Fatalf("all: %v, %v", rs, err)
	}
	for _, bad := range []struct {
		name string
		d    DevStats
		want string
	}{
		{"rows", DevStats{Metric: "accuracy", Examples: 2, Columns: []string{"correct"}, Rows: [][]float64{{1}}}, "1 rows for 2 examples"},
		{"columns", DevStats{Metric: "accuracy", Examples: 1, Columns: []string{"correct"}, Rows: [][]float64{{1, 0}}}, "row 0 has 2 values for 1 columns"},
		{"empty", DevStats{Metric: "accuracy", Columns: []string{"correct"}}, "0 rows for 0 examples"},
	} {
		if err := WriteDevStats(path, &bad.d); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: write error %v, want %q", bad.name, err, bad.want)
		}
		bad.d.Schema = DevStatsSchema
		b, _ := json.Marshal(bad.d)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadDevStats(path); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: read error %v, want %q", bad.name, err, bad.want)
		}
	}
}

// Results written before the optional fields existed load unchanged, and a result without
// them writes none of their keys.
func TestResultWithoutDevStatsOrTest(t *testing.T) {
	var r Result
	if err := json.Unmarshal([]byte(`{"schema": 1, "status": "ok", "metrics": [{"name": "accuracy", "higher_is_better": true}], "best_dev": {"accuracy": 70}}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.DevStats != "" || r.Test != nil {
		t.Errorf("old result read as %q, %v", r.DevStats, r.Test)
	}
	b, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"dev_stats", "test"} {
		if _, ok := top[k]; ok {
			t.Errorf("result without %s writes it: %s", k, b)
		}
	}
}

func TestKeyOfFile(t *testing.T) {
	for name, want := range map[string]string{
		"afqmc__fl-tuning__full__s1.json":             "afqmc__fl-tuning__full__s1",
		"tnews__fl-tuning__few__s1__lr=0.01.json":     "tnews__fl-tuning__few__s1__lr=0.01",
		"afqmc__fl-tuning__full__s1.dev.json":         "",
		"afqmc__fl-tuning__full__s1.log":              "",
		"afqmc__fl-tuning__full__s1.json.corrupt-20z": "",
	} {
		if k, ok := KeyOfFile(name); k != want || ok != (want != "") {
			t.Errorf("KeyOfFile(%q) = %q, %v; want %q", name, k, ok, want)
		}
	}
}
