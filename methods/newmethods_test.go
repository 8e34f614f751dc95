package methods

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestNewMethodOptions covers the options of the methods beyond the paper's three: defaults as
// they enter cell ids, and the errors bad values give.
func TestNewMethodOptions(t *testing.T) {
	defaults := map[string]string{
		"lora":             `{"r":8,"alpha":8,"dropout":0,"target_modules":["query","value"]}`,
		"bitfit":           `{}`,
		"ia3":              `{}`,
		"adapter":          `{"bottleneck":64,"activation":"swish"}`,
		"parallel-adapter": `{"bottleneck":512,"scaling":4,"activation":"relu"}`,
		"prompt-tuning":    `{"num_virtual_tokens":20}`,
		"prefix-tuning":    `{"prefix_len":20,"dropout":0,"projection":true,"projection_hidden":512,"positions":"unshifted"}`,
	}
	for name, want := range defaults {
		b, _ := json.Marshal(mustSpec(t, name).Options())
		if string(b) != want {
			t.Errorf("%s defaults %s, want %s", name, b, want)
		}
	}
	bad := []struct {
		method string
		set    []string
		want   string
	}{
		{"lora", []string{"r=0"}, "r must be at least 1"},
		{"lora", []string{"alpha=0"}, "alpha must be positive"},
		{"lora", []string{"dropout=1"}, "dropout must be in [0, 1)"},
		{"lora", []string{"target_modules=[]"}, "target_modules is empty"},
		{"lora", []string{`target_modules=["dense"]`}, `no linear map "dense"`},
		{"lora", []string{`target_modules=["key","key"]`}, "listed twice"},
		{"bitfit", []string{`biases=["gamma"]`}, `no bias kind "gamma"`},
		{"bitfit", []string{`biases=["query","query"]`}, "listed twice"},
		{"ia3", []string{"r=4"}, "r"},
		{"adapter", []string{"bottleneck=0"}, "bottleneck must be at least 1"},
		{"adapter", []string{"activation=sigmoid"}, "activation must be one of"},
		{"parallel-adapter", []string{"scaling=0"}, "scaling must be positive"},
		{"prompt-tuning", []string{"num_virtual_tokens=0"}, "num_virtual_tokens must be at least 1"},
		{"prefix-tuning", []string{"prefix_len=0"}, "prefix-tuning options: prefix_len must be at least 1"},
	}
	for _, c := range bad {
		_, err := specFromSettings(c.method, c.set)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %v, want one containing %q", c.method, c.set, err, c.want)
		}
	}
}

// TestNewMethodCountsBase checks each new method's count on chinese-roberta-wwm-ext (H 768,
// I 3072, 12 layers) against the formula written out.
func TestNewMethodCountsBase(t *testing.T) {
	cfg := baseConfig(t)
	const h, i, l = 768, 3072, 12
	cases := []struct {
		method      string
		set         []string
		added, back int64
	}{
		{"lora", nil, l * 8 * 2 * (h + h), l * 8 * 2 * (h + h)},
		{"lora", []string{"r=4", `target_modules=["query","key","value","attention.output.dense","intermediate.dense","output.dense"]`},
			l * 4 * (4*(h+h) + 2*(h+i)), l * 4 * (4*(h+h) + 2*(h+i))},
		// Every bias: Q, K, V, O, FFN in, FFN out, two LayerNorms per layer; the embeddings'
		// LayerNorm; the pooler.
		{"bitfit", nil, 0, l*(4*h+i+h+2*h) + h + h},
		{"bitfit", []string{`biases=["query","LayerNorm"]`}, 0, l*h + h + l*2*h},
		{"ia3", nil, l * (2*h + i), l * (2*h + i)},
		{"adapter", nil, l * 2 * (2*h*64 + 64 + h), l * 2 * (2*h*64 + 64 + h)},
		{"parallel-adapter", nil, l * (2*h*512 + 512 + h), l * (2*h*512 + 512 + h)},
		{"prompt-tuning", nil, 20 * h, 20 * h},
		{"prefix-tuning", nil, 20*h + (h*512 + 512) + (512*2*l*h + 2*l*h), 20*h + (h*512 + 512) + (512*2*l*h + 2*l*h)},
	}
	for _, c := range cases {
		added, back := mustSpec(t, c.method, c.set...).Count(cfg)
		if added != c.added || back != c.back {
			t.Errorf("%s %v: Count = (%d, %d), want (%d, %d)", c.method, c.set, added, back, c.added, c.back)
		}
	}
}
