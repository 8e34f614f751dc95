package methods

import (
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/model"
)

// TestLoRATargetModules checks that target modules name every linear map of a layer, come out
// in forward order whatever order they were given in, and that their count follows each map's
// shape.
func TestLoRATargetModules(t *testing.T) {
	o := mustSpec(t, "lora", `target_modules=["output.dense","query"]`).Options().(LoRAOptions)
	if strings.Join(o.TargetModules, ",") != "query,output.dense" {
		t.Errorf("target_modules %v, want [query output.dense]", o.TargetModules)
	}
	cfg := baseConfig(t)
	for _, s := range model.Sites {
		in, out := siteDims(cfg, s)
		m := mustSpec(t, "lora", "r=2", `target_modules=["`+s.String()+`"]`)
		if _, got := m.Count(cfg); got != 12*2*(in+out) {
			t.Errorf("%s: count %d, want %d", s, got, 12*2*(in+out))
		}
	}
}
