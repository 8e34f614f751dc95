package methods

import "testing"

// TestIA3Count checks IA3's vectors per layer on chinese-roberta-wwm-ext: l_k and l_v of width H, l_ff
// of width intermediate_size, none of the encoder's weights.
func TestIA3Count(t *testing.T) {
	cfg := baseConfig(t)
	added, backbone := mustSpec(t, "ia3").Count(cfg)
	want := cfg.NumHiddenLayers * (2*cfg.HiddenSize + cfg.IntermediateSize)
	if added != want || backbone != want {
		t.Errorf("Count = (%d, %d), want (%d, %d)", added, backbone, want, want)
	}
	if KnobOf(mustSpec(t, "ia3")) != "" {
		t.Error("ia3 has a size knob")
	}
}
