package methods

import "testing"

// TestBitFitTrains checks which encoder variables BitFit trains, by name.
func TestBitFitTrains(t *testing.T) {
	all := mustSpec(t, "bitfit")
	some := mustSpec(t, "bitfit", `biases=["value","LayerNorm"]`)
	cases := []struct {
		name      string
		all, some bool
	}{
		{"bert.encoder.layer.3.attention.self.query.bias", true, false},
		{"bert.encoder.layer.3.attention.self.value.bias", true, true},
		{"bert.encoder.layer.3.attention.self.value.weight", false, false},
		{"bert.encoder.layer.3.attention.output.dense.bias", true, false},
		{"bert.encoder.layer.3.output.dense.bias", true, false},
		{"bert.encoder.layer.3.intermediate.dense.bias", true, false},
		{"bert.encoder.layer.3.output.LayerNorm.bias", true, true},
		{"bert.encoder.layer.3.output.LayerNorm.weight", false, false},
		{"bert.embeddings.LayerNorm.bias", true, true},
		{"bert.pooler.dense.bias", true, false},
		{"roformer.embeddings_project.bias", true, false},
		{"classifier.bias", false, false},
	}
	for _, c := range cases {
		if got := all.Trains(c.name); got != c.all {
			t.Errorf("bitfit trains %s: %v, want %v", c.name, got, c.all)
		}
		if got := some.Trains(c.name); got != c.some {
			t.Errorf("bitfit [value LayerNorm] trains %s: %v, want %v", c.name, got, c.some)
		}
	}
}
