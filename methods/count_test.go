package methods

import (
	"math"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/model"
)

// baseConfigJSON is chinese-roberta-wwm-ext's config.json (a BERT-base with a 21128-word vocabulary).
const baseConfigJSON = `{
  "architectures": ["BertForMaskedLM"],
  "attention_probs_dropout_prob": 0.1,
  "bos_token_id": 0,
  "directionality": "bidi",
  "eos_token_id": 2,
  "hidden_act": "gelu",
  "hidden_dropout_prob": 0.1,
  "hidden_size": 768,
  "initializer_range": 0.02,
  "intermediate_size": 3072,
  "layer_norm_eps": 1e-12,
  "max_position_embeddings": 512,
  "model_type": "bert",
  "num_attention_heads": 12,
  "num_hidden_layers": 12,
  "output_past": true,
  "pad_token_id": 0,
  "pooler_fc_size": 768,
  "pooler_num_attention_heads": 12,
  "pooler_num_fc_layers": 3,
  "pooler_size_per_head": 128,
  "pooler_type": "first_token_transform",
  "type_vocab_size": 2,
  "vocab_size": 21128
}`

func baseConfig(t *testing.T) model.Config {
	t.Helper()
	c, err := model.ParseConfig([]byte(baseConfigJSON))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEncoderParamsBase(t *testing.T) {
	total, layers := EncoderParams(baseConfig(t))
	if total != 102_267_648 || layers != 85_054_464 {
		t.Errorf("EncoderParams = (%d, %d), want (102267648, 85054464)", total, layers)
	}
}

func TestCountBase(t *testing.T) {
	cfg := baseConfig(t)
	const (
		ptv2       = 2 * 160 * 12 * 768                                    // key and value prefixes, every layer
		ptv2Proj   = 160*768 + (768*512 + 512) + (512*2*12*768 + 2*12*768) // embedding + both linears
		flPerLayer = 768*160 + 160 + 160*768 + 768                         // W1′, b1′, W2′, b2′
		encoder    = 102_267_648
	)
	cases := []struct {
		name          string
		set           []string
		added, backbo int64
	}{
		{"fine-tuning", nil, 0, encoder},
		{"p-tuning-v2", nil, ptv2, ptv2},
		{"p-tuning-v2", []string{"positions=shifted"}, ptv2, ptv2},
		{"p-tuning-v2", []string{"projection=true"}, ptv2Proj, ptv2Proj},
		{"p-tuning-v2", []string{"prefix_len=20", "projection=true", "projection_hidden=64"},
			20*768 + (768*64 + 64) + (64*2*12*768 + 2*12*768), 20*768 + (768*64 + 64) + (64*2*12*768 + 2*12*768)},
		{"fl-tuning", nil, 12 * flPerLayer, 12 * flPerLayer},
		{"fl-tuning", []string{"layers=[0,11]"}, 2 * flPerLayer, 2 * flPerLayer},
		{"fl-tuning", []string{"units=8"}, 12 * (768*8 + 8 + 8*768 + 768), 12 * (768*8 + 8 + 8*768 + 768)},
	}
	for _, c := range cases {
		m := mustSpec(t, c.name, c.set...)
		added, backbone := m.Count(cfg)
		if added != c.added || backbone != c.backbo {
			t.Errorf("%s %v: Count = (%d, %d), want (%d, %d)", c.name, c.set, added, backbone, c.added, c.backbo)
		}
	}
	// The budgets the FL-tuning paper matched, stated as plain numbers.
	if ptv2 != 2_949_120 || 12*flPerLayer != 2_960_256 {
		t.Fatalf("budget constants changed: %d, %d", ptv2, 12*flPerLayer)
	}
}

func TestCountsWithHead(t *testing.T) {
	cfg := baseConfig(t)
	head := int64(768*2 + 2)
	c := Count(cfg, mustSpec(t, "fl-tuning"), head)
	want := Counts{
		Trainable: 2_960_256 + head, TrainableBackbone: 2_960_256, Head: head, Added: 2_960_256,
		Total: 102_267_648 + 2_960_256 + head,
	}
	if c.Trainable != want.Trainable || c.TrainableBackbone != want.TrainableBackbone || c.Head != want.Head ||
		c.Added != want.Added || c.Total != want.Total {
		t.Errorf("Count = %+v, want %+v", c, want)
	}
	if r := 2_960_256.0 / 85_054_464.0; math.Abs(c.RatioEncoderLayers-r) > 1e-15 {
		t.Errorf("ratio_encoder_layers = %v, want %v", c.RatioEncoderLayers, r)
	}
	if r := float64(want.Trainable) / float64(want.Total); math.Abs(c.Ratio-r) > 1e-15 {
		t.Errorf("ratio = %v, want %v", c.Ratio, r)
	}
	if got := 100 * c.RatioEncoderLayers; math.Abs(got-3.48) > 0.005 {
		t.Errorf("FL share of the encoder layers = %.3f%%, the paper says 3.48%%", got)
	}

	ft := Count(cfg, mustSpec(t, "fine-tuning"), head)
	if ft.TrainableBackbone != 102_267_648 || ft.Added != 0 || ft.Total != 102_267_648+head {
		t.Errorf("fine-tuning Count = %+v", ft)
	}
}

func TestMaxSeqLen(t *testing.T) {
	cfg := baseConfig(t)
	cases := []struct {
		name string
		set  []string
		want int64
	}{
		{"fine-tuning", nil, 512},
		{"fl-tuning", nil, 512},
		{"p-tuning-v2", nil, 512},
		{"p-tuning-v2", []string{"positions=shifted"}, 512 - 160},
		{"p-tuning-v2", []string{"positions=shifted", "prefix_len=64"}, 512 - 64},
	}
	for _, c := range cases {
		if got := MaxSeqLen(mustSpec(t, c.name, c.set...), cfg); got != c.want {
			t.Errorf("%s %v: MaxSeqLen = %d, want %d", c.name, c.set, got, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	cfg := baseConfig(t)
	cases := []struct {
		name string
		set  []string
		want string // "" for no error
	}{
		{"fine-tuning", nil, ""},
		{"fl-tuning", []string{"layers=[0,11]"}, ""},
		{"fl-tuning", []string{"layers=[0,12]"}, "fl-tuning: layer index 12 is out of range: the model has 12 layers (0…11)"},
		{"p-tuning-v2", []string{"prefix_len=511", "positions=shifted"}, ""},
		{"p-tuning-v2", []string{"prefix_len=512", "positions=shifted"}, "max_position_embeddings is 512"},
		{"p-tuning-v2", []string{"prefix_len=600"}, ""},
	}
	for _, c := range cases {
		err := Check(mustSpec(t, c.name, c.set...), cfg)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %v: %v", c.name, c.set, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %v: error %v, want one containing %q", c.name, c.set, err, c.want)
		}
	}
}
