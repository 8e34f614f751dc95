package plan

import (
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
		{[]string{"c3/*"}, 0, `--only "c3/*" matches no cell`},
		{[]string{"c3/*/*", "cls/*/*"}, 0, `--only "cls/*/*" matches no cell`},
		{[]string{"["}, 0, `--only "["`},
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
