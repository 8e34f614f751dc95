package plan

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestFilter(t *testing.T) {
	cells := []Cell{
		{Task: "c3", Method: "fine-tuning", Setting: "full", Seed: 1},
		{Task: "c3", Method: "fl-tuning", Setting: "full", Seed: 1},
		{Task: "csl", Method: "fine-tuning", Setting: "few", Seed: 2},
	}
	for _, tc := range []struct {
		globs   []string
		want    int
		wantErr string
	}{
		{nil, 3, ""},
		{[]string{"c3/*/*"}, 2, ""},
		{[]string{"*/*/*/s2"}, 1, ""},
		{[]string{"c3/fl-tuning/full", "csl/*/few"}, 2, ""},
		// A shorter glob matches the leading parts of task/method/setting/sSEED.
		{[]string{"*"}, 3, ""},
		{[]string{"c3"}, 2, ""},
		{[]string{"c3/*"}, 2, ""},
		{[]string{"c3/fl-*"}, 1, ""},
		{[]string{"*/*/few/s2"}, 1, ""},
		{[]string{"c3/*/*/s2"}, 0, `--only "c3/*/*/s2" matches no cell`},
		{[]string{"c3/*/*", "cls/*/*"}, 0, `--only "cls/*/*" matches no cell`},
		{[]string{"*/*/*/*/*"}, 0, `--only "*/*/*/*/*": 5 parts`},
		{[]string{""}, 0, `--only "": empty glob`},
		{[]string{"["}, 0, `--only "[": syntax error in pattern`},
		{[]string{"c3/[/*"}, 0, `--only "c3/[/*": syntax error in pattern`},
	} {
		got, err := Filter(cells, tc.globs)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err %v, want %q", tc.globs, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(got) != tc.want {
			t.Errorf("%q: %d cells, err %v; want %d", tc.globs, len(got), err, tc.want)
		}
	}
}

// A cell whose contents have no JSON form has no id: it used to get the hash of nothing
// (e3b0c44298fc), shared by every such cell.
func TestComputeIDRejectsUnencodable(t *testing.T) {
	for _, mutate := range []func(*Cell){
		func(c *Cell) { c.Hyper.LR = math.Inf(1) },
		func(c *Cell) { c.Hyper.Clip = math.NaN() },
		func(c *Cell) { c.MethodOptions = json.RawMessage("{not json") },
	} {
		c := Cell{Task: "c3", Method: "fl-tuning", Setting: "full", Seed: 1, Hyper: defaultHyper, MethodOptions: json.RawMessage(`{}`)}
		good, err := c.ComputeID()
		if err != nil || len(good) != 12 {
			t.Fatalf("valid cell: id %q, err %v", good, err)
		}
		mutate(&c)
		id, err := c.ComputeID()
		if err == nil || id != "" || !strings.Contains(err.Error(), "c3/fl-tuning/full s1: id: json:") {
			t.Errorf("ComputeID = %q, %v; want an error naming the cell", id, err)
		}
		if got := c.ContentID(); got != InvalidID {
			t.Errorf("ContentID = %q, want %q", got, InvalidID)
		}
	}
}
