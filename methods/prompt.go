package methods

import (
	"fmt"

	"github.com/clue-bench/clue-bench/model"
)

func init() {
	Register("prompt-tuning", "Prompt tuning", "prompt tuning (Lester et al.): soft tokens in front of the input train, the encoder stays frozen", newPromptTuning)
}

// PromptTuningOptions are prompt-tuning's options, named as in PEFT's PromptTuningConfig.
type PromptTuningOptions struct {
	// NumVirtualTokens is P, the number of soft tokens.
	NumVirtualTokens int64 `yaml:"num_virtual_tokens" json:"num_virtual_tokens"`
	// Budget solves num_virtual_tokens for this share of fine-tuning's trainable parameters.
	Budget float64 `yaml:"budget,omitempty" json:"budget,omitempty"`
}

// PromptTuning (Lester et al.) learns P vectors put in front of the embeddings output, at the
// input only: every layer then treats them as tokens, and they take positions 0…P−1, the real
// tokens P…P+T−1 (absolute, relative and rotary alike), as when PEFT feeds them in as
// inputs_embeds. They are cut from the encoder's output again, so heads see the real tokens
// and the pooler reads the real [CLS] (PEFT's BERT classifier would read the first soft
// token). The table starts N(0, 1), PEFT's random init (nn.Embedding's default), close to
// the LayerNorm-ed embeddings' scale. Only the table trains.
type PromptTuning struct {
	opts   PromptTuningOptions
	params paramSet
	prompt any // *softPrompt (prompt_torch.go) once attached
}

func newPromptTuning(decode Decode) (Spec, error) {
	o := PromptTuningOptions{NumVirtualTokens: 20}
	if err := decode(&o); err != nil {
		return nil, fmt.Errorf("prompt-tuning options: %w", err)
	}
	if o.NumVirtualTokens < 1 {
		return nil, fmt.Errorf("prompt-tuning options: num_virtual_tokens must be at least 1, got %d", o.NumVirtualTokens)
	}
	if err := checkBudget("prompt-tuning", o.Budget); err != nil {
		return nil, err
	}
	return &PromptTuning{opts: o}, nil
}

// Name implements Spec.
func (*PromptTuning) Name() string { return "prompt-tuning" }

// Options implements Spec.
func (m *PromptTuning) Options() any { return m.opts }

// Trains implements Spec: exactly the prompt table made by Attach.
func (m *PromptTuning) Trains(name string) bool { return m.params.has(name) }

// Count implements Spec.
func (m *PromptTuning) Count(cfg model.Config) (added, trainableBackbone int64) {
	n, _ := sizeUnder(m, cfg)
	return m.countAt(cfg, n)
}

func (m *PromptTuning) countAt(cfg model.Config, p int64) (int64, int64) {
	return p * cfg.HiddenSize, p * cfg.HiddenSize
}

// positionsUsed is how many positions the soft tokens take from the real ones.
func (m *PromptTuning) positionsUsed(cfg model.Config) int64 {
	n, _ := sizeUnder(m, cfg)
	return n
}

// check implements the optional check behind Check: the soft tokens must leave room for at
// least one real token.
func (m *PromptTuning) check(cfg model.Config) error {
	if used := m.positionsUsed(cfg); used >= cfg.MaxPositionEmbeddings {
		return fmt.Errorf("num_virtual_tokens %d leaves no room for tokens: max_position_embeddings is %d", used, cfg.MaxPositionEmbeddings)
	}
	return nil
}

func (*PromptTuning) knob() string      { return "num_virtual_tokens" }
func (m *PromptTuning) budget() float64 { return m.opts.Budget }
func (m *PromptTuning) size() int64     { return m.opts.NumVirtualTokens }

// maxSize leaves one position for real tokens.
func (*PromptTuning) maxSize(cfg model.Config) int64 { return cfg.MaxPositionEmbeddings - 1 }
