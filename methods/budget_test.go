package methods

import (
	"testing"
)

func TestSolveBudget(t *testing.T) {
	linear := func(a, b int64) func(int64) int64 { return func(n int64) int64 { return a + b*n } }
	cases := []struct {
		name    string
		count   func(int64) int64
		target  float64
		max     int64
		want    int64
		reached bool
	}{
		{"exact", linear(0, 10), 70, 0, 7, true},
		{"rounds down", linear(0, 10), 74, 0, 7, true},
		{"rounds up", linear(0, 10), 76, 0, 8, true},
		{"tie takes the smaller", linear(0, 10), 75, 0, 7, true},
		{"below the smallest", linear(1000, 10), 5, 0, 1, false},
		{"beyond the largest", linear(0, 10), 1000, 20, 20, false},
		{"at the largest", linear(0, 10), 199, 20, 20, true},
		{"large", linear(9216, 18444), 3068029.44, 0, 166, true},
	}
	for _, c := range cases {
		n, ok := solveBudget(c.count, c.target, c.max)
		if n != c.want || ok != c.reached {
			t.Errorf("%s: solveBudget = %d, %v; want %d, %v", c.name, n, ok, c.want, c.reached)
		}
	}
}

// TestBudgetBase solves every knob for 3% of chinese-roberta-wwm-ext's 102,267,648 encoder
// parameters (3,068,029.44), against counts worked out by hand.
func TestBudgetBase(t *testing.T) {
	cfg := baseConfig(t)
	cases := []struct {
		name    string
		set     []string
		knob    string
		want    int64
		count   int64 // trainable_backbone at the solved size
		reached bool
	}{
		{"lora", nil, "r", 83, 83 * 12 * 2 * 1536, true},
		{"fl-tuning", nil, "units", 166, 166*18444 + 9216, true},
		{"p-tuning-v2", nil, "prefix_len", 166, 166 * 18432, true},
		{"adapter", nil, "bottleneck", 83, 83*36888 + 18432, true},
		{"parallel-adapter", nil, "bottleneck", 166, 166*18444 + 9216, true},
		// 3,994 soft tokens would be needed; 511 is the most that leaves room for a token.
		{"prompt-tuning", nil, "num_virtual_tokens", 511, 511 * 768, false},
		// The projection MLP alone (9,849,344) exceeds the budget.
		{"prefix-tuning", nil, "prefix_len", 1, 768 + 9849344, false},
	}
	for _, c := range cases {
		m := mustSpec(t, c.name, append([]string{"budget=0.03"}, c.set...)...)
		s := SizeOf(m, cfg)
		if s.Knob != c.knob || s.Value != c.want || s.Reached == nil || *s.Reached != c.reached || s.Budget != 0.03 {
			t.Errorf("%s: size %+v, want %s = %d, reached %v", c.name, s, c.knob, c.want, c.reached)
		}
		if _, got := m.Count(cfg); got != c.count {
			t.Errorf("%s: count %d at the solved size, want %d", c.name, got, c.count)
		}
		// The solved size set directly counts the same.
		if direct, _ := specFromSettings(c.name, []string{c.knob + "=" + itoa(c.want)}); direct != nil {
			if _, got := direct.Count(cfg); got != c.count {
				t.Errorf("%s: %s=%d set directly counts %d, want %d", c.name, c.knob, c.want, got, c.count)
			}
		}
	}
	// Methods without a knob report their fixed share and refuse a budget.
	for _, name := range []string{"fine-tuning", "bitfit", "ia3"} {
		s := SizeOf(mustSpec(t, name), cfg)
		if s.Knob != "" || s.Reached != nil || s.Share <= 0 {
			t.Errorf("%s: size %+v, want no knob and a share", name, s)
		}
		if _, err := specFromSettings(name, []string{"budget=0.03"}); err == nil {
			t.Errorf("%s accepts a budget", name)
		}
	}
	for _, bad := range []string{"budget=1", "budget=-0.1"} {
		if _, err := specFromSettings("lora", []string{bad}); err == nil {
			t.Errorf("lora %s: no error", bad)
		}
	}
}

func itoa(n int64) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}
