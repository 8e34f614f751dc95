//go:build cgo

package methods

import (
	"fmt"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/model"
)

var _ Method = (*PromptTuning)(nil)

// Attach implements Method. Variable: p.embedding.weight (P, H), N(0, 1).
func (m *PromptTuning) Attach(p *nn.Path, enc *model.Encoder) error {
	if err := readyToAttach("prompt-tuning", p, enc, m.prompt != nil); err != nil {
		return err
	}
	cfg := enc.Cfg
	if err := m.check(cfg); err != nil {
		return fmt.Errorf("prompt-tuning: %w", err)
	}
	n, _ := sizeUnder(m, cfg)
	table, err := m.params.addInit(p, []string{"embedding"}, "weight", []int64{n, cfg.HiddenSize}, normalInit(1))
	if err != nil {
		return fmt.Errorf("prompt-tuning: %w", err)
	}
	sp := &softPrompt{table: table, n: n}
	enc.SetEmbeddingPrefix(sp)
	m.prompt = sp
	return nil
}

// softPrompt implements model.EmbeddingPrefix.
type softPrompt struct {
	table *ts.Tensor // (P, H)
	n     int64
}

// Len implements model.EmbeddingPrefix.
func (sp *softPrompt) Len() int64 { return sp.n }

// Embeddings implements model.EmbeddingPrefix: the table expanded to (B, P, H).
func (sp *softPrompt) Embeddings(batch int64, train bool) (*ts.Tensor, error) {
	u, err := sp.table.Unsqueeze(0, false)
	if err != nil {
		return nil, fmt.Errorf("prompt-tuning: %w", torchErr(err))
	}
	out, err := u.Expand([]int64{batch, sp.n, -1}, false, true)
	return out, torchErr(err)
}
