package clue

import "testing"

func TestParseSelection(t *testing.T) {
	tests := []struct {
		in   string
		want Selection
		ok   bool
	}{
		{"full", Full, true},
		{"few:0", Selection{Regime: RegimeFew, Fold: 0}, true},
		{"few:4", Selection{Regime: RegimeFew, Fold: 4}, true},
		{"few:all", Selection{Regime: RegimeFew, Fold: FoldAll}, true},
		{"kshot:16:42", Selection{Regime: RegimeKShot, K: 16, Seed: 42}, true},
		{"kshot:8:-3", Selection{Regime: RegimeKShot, K: 8, Seed: -3}, true},
		{"", Selection{}, false},
		{"full:1", Selection{}, false},
		{"few", Selection{}, false},
		{"few:5", Selection{}, false},
		{"few:-1", Selection{}, false},
		{"few:01", Selection{}, false},
		{"few:any", Selection{}, false},
		{"kshot:16", Selection{}, false},
		{"kshot:0:1", Selection{}, false},
		{"kshot:x:1", Selection{}, false},
		{"kshot:4:y", Selection{}, false},
		{"Full", Selection{}, false},
	}
	for _, tc := range tests {
		got, err := ParseSelection(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseSelection(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		if got != tc.want {
			t.Errorf("ParseSelection(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("ParseSelection(%q).String() = %q", tc.in, got.String())
		}
	}
}
