package methods

import (
	"strings"
	"testing"
)

// TestPromptTuningPositions checks that the soft tokens take positions from the real ones.
func TestPromptTuningPositions(t *testing.T) {
	cfg := baseConfig(t)
	if got := MaxSeqLen(mustSpec(t, "prompt-tuning", "num_virtual_tokens=12"), cfg); got != 500 {
		t.Errorf("MaxSeqLen = %d, want 500", got)
	}
	if err := Check(mustSpec(t, "prompt-tuning", "num_virtual_tokens=512"), cfg); err == nil || !strings.Contains(err.Error(), "no room") {
		t.Errorf("512 soft tokens: %v, want a refusal", err)
	}
}
