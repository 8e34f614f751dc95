package perf

import (
	"errors"
	"fmt"

	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
)

// StepFLOPs is the arithmetic of one training step of a workload, counted from its shapes.
//
// Only matrix products count, each as 2·m·n·k. Left out: softmax, LayerNorm, GELU, dropout,
// residual and bias additions, the attention scaling and mask, bias gradients (row sums), the
// embedding lookups and their scatter-add gradients, the loss, clipping and AdamW. All are
// linear in the number of elements rather than in a product of three dimensions; at BERT-base
// shapes they are a few per cent of the products' FLOPs, though they take a larger share of
// the time (they are memory-bound). So the achieved rate computed from these counts slightly
// understates the work done, for both sides alike.
//
// The backbones' position schemes (model/nezha.go, model/roformer.go) count where they
// multiply matrices: NEZHA's relative terms, q·aᵀ in the scores and probs·a in the context,
// are two products per layer of the attention's own size (per query i, (B·heads × d)·(d × keys)
// and (B·heads × keys)·(keys × d)), with a gradient for q or the probabilities only (the
// sinusoid table is a constant); RoFormer's embeddings_project, Linear(E, H) when E ≠ H, counts
// like any linear layer. RoFormer's rotations of queries and keys are elementwise (x·cos +
// rot(x)·sin, a few operations per element) and are left out like the other elementwise work;
// so is gathering NEZHA's relative table. RoFormer has no pooler, so nothing is counted for one.
type StepFLOPs struct {
	Forward  int64 `json:"forward"`
	Backward int64 `json:"backward"`
	Total    int64 `json:"total"`
	// GEMMs are the step's products themselves, forward and gradients, each distinct one once
	// with Weight the number of times the step runs it (their Weight·FLOPs add up to Total):
	// the shapes the method's own roofline (Roofline.StepRate) is timed at.
	GEMMs []GEMM `json:"gemms,omitempty"`
}

// flopCounter adds up matrix products and, for the backward pass, the gradient products that
// autograd runs for them, and keeps their shapes.
type flopCounter struct {
	fwd, bwd int64
	gemms    []GEMM
	index    map[GEMM]int // a product with Weight 0 → its place in gemms
}

// add records g once more.
func (c *flopCounter) add(g GEMM) {
	if c.index == nil {
		c.index = map[GEMM]int{}
	}
	i, ok := c.index[g]
	if !ok {
		i = len(c.gemms)
		c.index[g] = i
		c.gemms = append(c.gemms, g)
	}
	c.gemms[i].Weight++
}

// product counts out = a·b over batch independent (m×k)·(k×n) products of kind, transA and
// transB marking an operand passed as a transposed view. Autograd computes the gradient of
// each operand that requires one, each a product of the same size: dA = dOut·bᵀ (pass
// gradA), whose second operand is a transposed view exactly when b was not, and dB = aᵀ·dOut
// (pass gradB), likewise for its first; none for an operand that does not. It returns
// whether out requires a gradient.
func (c *flopCounter) product(kind, gradA, gradB string, batch, m, n, k int64, transA, transB, aGrad, bGrad bool) bool {
	fwd := GEMM{Kind: kind, Pass: "forward", Batch: batch, M: m, N: n, K: k, TransA: transA, TransB: transB}
	f := fwd.FLOPs()
	c.fwd += f
	c.add(fwd)
	if aGrad {
		c.bwd += f
		c.add(GEMM{Kind: kind, Pass: gradA, Batch: batch, M: m, N: k, K: n, TransB: !transB})
	}
	if bGrad {
		c.bwd += f
		c.add(GEMM{Kind: kind, Pass: gradB, Batch: batch, M: k, N: n, K: m, TransA: !transA})
	}
	return aGrad || bGrad
}

// linear counts x·Wᵀ (Wᵀ a transposed view) for rows×in inputs and an out×in weight: the
// input gradient when x requires one, the weight gradient when the weight trains.
func (c *flopCounter) linear(kind string, rows, in, out int64, xGrad, trains bool) bool {
	return c.product(kind, "input", "weight", 1, rows, out, in, false, true, xGrad, trains)
}

// attention counts a per-example-and-head product (scores or context), operands a and b.
func (c *flopCounter) attention(kind string, batch, m, n, k int64, transB, aGrad, bGrad bool) bool {
	return c.product(kind, "a", "b", batch, m, n, k, false, transB, aGrad, bGrad)
}

// ErrNoFLOPCount is CountStepFLOPs' error for a method it has no count for: such a method is
// measured all the same, without a roofline row.
var ErrNoFLOPCount = errors.New("no FLOP count for this method")

// CountStepFLOPs counts one training step of w (forward and backward; see StepFLOPs for what
// is left out), following the encoder (model/layer.go), the methods and the classification
// head the way autograd runs them:
//
//   - fine-tuning trains every weight: every product has both gradients, down to layer 0,
//     whose input comes from the trainable embeddings.
//   - P-tuning v2's prefix keys and values train in every layer, so the backward goes through
//     every layer down to layer 0 with input gradients only (the frozen weights get none). At
//     layer 0 the hidden states do not require a gradient: no Q/K/V projection gradients, no
//     query gradient, only the (prefix-lengthened) key gradient of the scores. Attention is
//     over P+T keys everywhere; an optional prefix projection adds its two products once per
//     step.
//   - FL-tuning's branches train; below the lowest layer with a branch nothing requires a
//     gradient, and in that layer only the branch's products have backward work (its first
//     product's weight gradient only).
//
// The pooler is computed in the forward (the encoder computes it wherever the architecture has
// one: not RoFormer) but the classifier reads the last hidden state at [CLS], so no gradient
// reaches it.
func CountStepFLOPs(w Workload) (StepFLOPs, error) {
	opts, err := methods.SettingsNode(w.Options)
	if err != nil {
		return StepFLOPs{}, fmt.Errorf("count FLOPs of %s: %w", w.Method, err)
	}
	spec, err := methods.NewSpec(w.Method, opts)
	if err != nil {
		return StepFLOPs{}, fmt.Errorf("count FLOPs: %w", err)
	}
	cfg := w.Config
	if cfg.NumAttentionHeads < 1 || cfg.HiddenSize%cfg.NumAttentionHeads != 0 {
		return StepFLOPs{}, fmt.Errorf("count FLOPs: hidden size %d is not a multiple of %d heads", cfg.HiddenSize, cfg.NumAttentionHeads)
	}
	b, s := int64(w.Batch), int64(w.Seq)
	rows, h, inter, nh := b*s, cfg.HiddenSize, cfg.IntermediateSize, cfg.NumAttentionHeads
	d := h / nh

	var (
		trainsEncoder bool           // every encoder weight trains
		prefixLen     int64          // P-tuning v2's P (0: no prefix)
		branchUnits   int64          // FL-tuning's k
		branchAt      map[int64]bool // FL-tuning's layers with a branch
	)
	var c flopCounter
	switch o := spec.Options().(type) {
	case methods.FineTuningOptions:
		trainsEncoder = true
	case methods.PTuningV2Options:
		prefixLen = o.PrefixLen
		if o.Projection {
			// Embedding(P, H) → Linear(H, ph) → tanh → Linear(ph, 2·L·H), all trainable.
			x := c.linear("prefix-projection", prefixLen, h, o.ProjectionHidden, true, true)
			c.linear("prefix-projection", prefixLen, o.ProjectionHidden, 2*cfg.NumHiddenLayers*h, x, true)
		}
	case methods.FLTuningOptions:
		branchUnits = o.Units
		branchAt = map[int64]bool{}
		for _, l := range o.Layers {
			branchAt[l] = true
		}
		if len(o.Layers) == 0 {
			for l := int64(0); l < cfg.NumHiddenLayers; l++ {
				branchAt[l] = true
			}
		}
	default:
		return StepFLOPs{}, fmt.Errorf("count FLOPs: method %s: %w", w.Method, ErrNoFLOPCount)
	}

	// x requires a gradient when something below it trains: the embeddings under fine-tuning.
	x := trainsEncoder
	arch := cfg.Arch()
	if e := cfg.EmbeddingDim(); arch == model.ArchRoFormer && e != h {
		x = c.linear("embeddings-project", rows, e, h, x, trainsEncoder)
	}
	keys := prefixLen + s
	for l := int64(0); l < cfg.NumHiddenLayers; l++ {
		q := c.linear("projection", rows, h, h, x, trainsEncoder)
		k := c.linear("projection", rows, h, h, x, trainsEncoder) || prefixLen > 0 // concatenated with the prefix
		v := c.linear("projection", rows, h, h, x, trainsEncoder) || prefixLen > 0
		// per example and head: (T×d)·(d×(P+T)) against kᵀ, a transposed view
		scores := c.attention("scores", b*nh, s, keys, d, true, q, k)
		if arch == model.ArchNEZHA {
			// per query: (B·heads×d)·(d×(P+T)) against aᵀ
			c.attention("relative-scores", s, b*nh, keys, d, true, q, false)
		}
		ctx := c.attention("context", b*nh, s, d, keys, false, scores, v)
		if arch == model.ArchNEZHA {
			// per query: (B·heads×(P+T))·((P+T)×d) against a
			c.attention("relative-context", s, b*nh, d, keys, false, scores, false)
		}
		a := c.linear("projection", rows, h, h, ctx, trainsEncoder) || x // + residual
		f := c.linear("ffn-in", rows, h, inter, a, trainsEncoder)
		f = c.linear("ffn-out", rows, inter, h, f, trainsEncoder)
		if branchAt[l] {
			br := c.linear("branch-in", rows, h, branchUnits, a, true)
			f = c.linear("branch-out", rows, branchUnits, h, br, true) || f
		}
		x = f || a // + residual
	}
	if arch != model.ArchRoFormer {
		c.linear("pooler", b, h, h, false, false) // on [CLS]: forward only
	}
	c.linear("classifier", b, h, w.Labels, x, true) // on [CLS]
	return StepFLOPs{Forward: c.fwd, Backward: c.bwd, Total: c.fwd + c.bwd, GEMMs: c.gemms}, nil
}
