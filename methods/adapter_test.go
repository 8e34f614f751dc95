package methods

import "testing"

// TestAdapterActivations checks that both adapters take every listed activation and that the
// Houlsby adapter counts two bottlenecks per layer where the parallel one counts one.
func TestAdapterActivations(t *testing.T) {
	cfg := baseConfig(t)
	for _, act := range adapterActivations {
		a := mustSpec(t, "adapter", "bottleneck=8", "activation="+act)
		p := mustSpec(t, "parallel-adapter", "bottleneck=8", "activation="+act)
		_, na := a.Count(cfg)
		_, np := p.Count(cfg)
		if na != 2*np {
			t.Errorf("%s: adapter counts %d, parallel adapter %d; want twice as many", act, na, np)
		}
	}
}
