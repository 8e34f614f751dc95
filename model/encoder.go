//go:build cgo

package model

import (
	"fmt"
	"math"
	"strconv"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// Batch is one batch of token ids on the model's device.
type Batch struct {
	InputIDs *ts.Tensor // (B, T) int64
	TypeIDs  *ts.Tensor // (B, T) int64; nil means all zeros
	Mask     *ts.Tensor // (B, T) any integer, bool or float dtype: 1 = real token, 0 = padding; nil = no padding
}

// Output is the encoder's result. The caller owns (and drops) both tensors.
type Output struct {
	Hidden *ts.Tensor // (B, T, H) last hidden state
	// Pooled is (B, H) tanh(dense(hidden[:, 0])), or nil for an architecture without a
	// pooler (RoFormer: transformers' RoFormerModel has none, and its heads read [CLS]).
	Pooled *ts.Tensor
}

// layer holds one post-LN transformer layer's weights.
type layer struct {
	query, key, value, attnOut linear
	attnLN                     layerNorm
	inter, out                 linear
	outLN                      layerNorm
}

// Encoder is a BERT-family encoder (embeddings, post-LN layers, pooler) whose variables carry
// the transformers names, so that checkpoints load by name. BERT, NEZHA and RoFormer share
// this code and differ in where positions enter: BERT adds absolute position embeddings to
// the token embeddings; NEZHA (nezha.go) and RoFormer (roformer.go) act inside attention
// through the positionScheme seam.
type Encoder struct {
	Cfg Config

	word, pos, typ *ts.Tensor // (V, E), (MaxPos, H) or nil without absolute positions, (TypeVocab, E)
	embLN          layerNorm
	project        linear // E → H after the embeddings, or none (w nil); RoFormer only
	layers         []layer
	pooler         linear // none (w nil) for RoFormer
	positions      positionScheme
	act            func(*hscope, raw) (raw, error)
	device         gotch.Device

	hooks hooks // attachment points for tuning methods (hooks.go)

	bf16       bool               // reduced precision for frozen products; see bf16.go
	bf16Copies map[*ts.Tensor]raw // bf16 copies of frozen weights, by weight
}

// positionScheme is the seam through which an architecture's positions enter attention:
// NEZHA's relative positions (nezha.go) and RoFormer's rotary ones (roformer.go). BERT needs
// none (nil): its positions are in the embeddings.
type positionScheme interface {
	// begin prepares one forward pass's position terms for seq real tokens at positions
	// start…start+seq−1 behind plen prefix keys; what it makes is tracked by s.
	begin(s *hscope, seq, start, plen int64) (positionTerms, error)
}

// positionTerms are one forward pass's position terms. Results are tracked by t; a nil result
// with a nil error means no term.
type positionTerms interface {
	// rotate transforms the real tokens' queries, keys and values, each (B, heads, T, d),
	// before the prefix keys and values join them.
	rotate(t *hscope, q, k, v raw) (raw, raw, raw, error)
	// scoreTerm is added to q·kᵀ (B, heads, T, P+T) before the 1/√d scaling.
	scoreTerm(t *hscope, q raw) (raw, error)
	// contextTerm is added to probs·v (B, heads, T, d); probs are after dropout.
	contextTerm(t *hscope, probs raw) (raw, error)
}

// NewEncoder creates the encoder's variables under p, initialised as transformers initialises a
// fresh model: N(0, initializer_range) weights, zero biases, LayerNorm 1/0, zero padding row.
// p must be vs.Root().Sub(cfg.Namespace()), so that variables are named as in transformers
// checkpoints: "bert.embeddings.…", "bert.encoder.layer.N.…" and "bert.pooler.…" for BERT,
// "nezha.…" for NEZHA, "roformer.…" for RoFormer.
func NewEncoder(p *nn.Path, cfg Config) (*Encoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new encoder: %w", err)
	}
	if ns, path := cfg.Namespace(), p.Paths(); len(path) != 1 || path[0] != ns {
		return nil, fmt.Errorf("new encoder: path must be vs.Root().Sub(%q), got %q", ns, fullName(p, ""))
	}
	act, err := rawActivation(cfg.HiddenAct)
	if err != nil {
		return nil, fmt.Errorf("new encoder: %w", err)
	}
	e := &Encoder{Cfg: cfg, act: act, device: p.Device()}
	if err := e.build(p); err != nil {
		return nil, fmt.Errorf("new encoder: %w", err)
	}
	return e, nil
}

// build creates the variables. Every variable's path is derived from p afresh and used at once:
// gotch's Path.Sub appends to the parent's slice, so two sibling paths held at the same time can
// share a backing array and end up naming the same variable.
func (e *Encoder) build(p *nn.Path) error {
	c := e.Cfg
	h, emb, std := c.HiddenSize, c.EmbeddingDim(), c.InitializerRange
	at := func(names ...string) *nn.Path {
		q := p
		for _, n := range names {
			q = q.Sub(n)
		}
		return q
	}
	var err error
	if e.word, err = newVar(at("embeddings", "word_embeddings"), "weight", []int64{c.VocabSize, emb}, initNormal, std); err != nil {
		return err
	}
	if err := zeroRow(e.word, c.PadTokenID); err != nil {
		return fmt.Errorf("zero padding row: %w", err)
	}
	if c.Arch() == ArchBERT {
		if e.pos, err = newVar(at("embeddings", "position_embeddings"), "weight", []int64{c.MaxPositionEmbeddings, h}, initNormal, std); err != nil {
			return err
		}
	}
	if e.typ, err = newVar(at("embeddings", "token_type_embeddings"), "weight", []int64{c.TypeVocabSize, emb}, initNormal, std); err != nil {
		return err
	}
	if e.embLN, err = newLayerNorm(at("embeddings", "LayerNorm"), emb, c.LayerNormEps); err != nil {
		return err
	}
	switch c.Arch() {
	case ArchNEZHA:
		if e.positions, err = newNEZHAPositions(c, e.device); err != nil {
			return err
		}
	case ArchRoFormer:
		if e.project, e.positions, err = newRoFormerParts(at, c, e.device); err != nil {
			return err
		}
	}
	e.layers = make([]layer, c.NumHiddenLayers)
	for i := range e.layers {
		l := &e.layers[i]
		n := strconv.Itoa(i)
		linears := []struct {
			dst     *linear
			path    []string
			in, out int64
		}{
			{&l.query, []string{"attention", "self", "query"}, h, h},
			{&l.key, []string{"attention", "self", "key"}, h, h},
			{&l.value, []string{"attention", "self", "value"}, h, h},
			{&l.attnOut, []string{"attention", "output", "dense"}, h, h},
			{&l.inter, []string{"intermediate", "dense"}, h, c.IntermediateSize},
			{&l.out, []string{"output", "dense"}, c.IntermediateSize, h},
		}
		for _, s := range linears {
			if *s.dst, err = newLinear(at(append([]string{"encoder", "layer", n}, s.path...)...), s.in, s.out, std); err != nil {
				return err
			}
		}
		if l.attnLN, err = newLayerNorm(at("encoder", "layer", n, "attention", "output", "LayerNorm"), h, c.LayerNormEps); err != nil {
			return err
		}
		if l.outLN, err = newLayerNorm(at("encoder", "layer", n, "output", "LayerNorm"), h, c.LayerNormEps); err != nil {
			return err
		}
	}
	if c.Arch() == ArchRoFormer {
		return nil // no pooler, as transformers' RoFormerModel
	}
	e.pooler, err = newLinear(at("pooler", "dense"), h, h, std)
	return err
}

// zeroRow zeroes row i of a (rows, cols) variable in place.
func zeroRow(w *ts.Tensor, i int64) error {
	return noGrad(func() error {
		row, err := w.Narrow(0, i, 1, false)
		if err != nil {
			return torchErr(err)
		}
		defer tsx.Drop(row)
		return inplace(func(out *libtch.Ctensor) { libtch.AtgZero_(out, handle(row)) })
	})
}

// Device is the device the encoder's variables live on.
func (e *Encoder) Device() gotch.Device { return e.device }

// Forward runs the encoder. train=false is eval mode: no dropout anywhere. Autograd recording
// follows the calling thread's grad mode; lock the OS thread around libtorch work.
func (e *Encoder) Forward(b Batch, train bool) (Output, error) {
	bsz, seq, err := e.checkBatch(b)
	if err != nil {
		return Output{}, fmt.Errorf("forward: %w", err)
	}
	var plen, start int64
	if p := e.hooks.kvPrefix; p != nil {
		if plen = p.Len(); plen < 0 {
			return Output{}, fmt.Errorf("forward: prefix length %d is negative", plen)
		}
		if p.ShiftPositions() {
			if e.Cfg.Arch() == ArchNEZHA {
				// Relative positions between real tokens do not move; the prefix has none.
				return Output{}, fmt.Errorf("forward: shifted positions under a prefix have no meaning for nezha's relative positions")
			}
			start = plen
		}
	}
	// An embedding prefix takes positions start…start+elen−1 like tokens; real tokens follow.
	var elen int64
	if p := e.hooks.embPrefix; p != nil {
		if elen = p.Len(); elen < 0 {
			return Output{}, fmt.Errorf("forward: embedding prefix length %d is negative", elen)
		}
	}
	if start+elen+seq > e.Cfg.MaxPositionEmbeddings {
		return Output{}, fmt.Errorf("forward: positions %d…%d exceed max_position_embeddings %d",
			start, start+elen+seq-1, e.Cfg.MaxPositionEmbeddings)
	}
	var s hscope // holds the mask and the hidden state between layers
	defer s.free()
	var mask raw
	if b.Mask != nil {
		if mask, err = e.additiveMask(&s, handle(b.Mask), bsz, seq, plen+elen); err != nil {
			return Output{}, fmt.Errorf("forward: attention mask: %w", err)
		}
	}
	hidden, err := e.embed(&s, b, bsz, seq, start+elen, train)
	if err != nil {
		return Output{}, fmt.Errorf("forward: embeddings: %w", err)
	}
	if elen > 0 {
		if hidden, err = e.prependEmbeddings(&s, hidden, bsz, elen, train); err != nil {
			return Output{}, fmt.Errorf("forward: %w", err)
		}
		seq += elen // the layers see the prefix as tokens
	}
	var terms positionTerms
	if e.positions != nil {
		if terms, err = e.positions.begin(&s, seq, start, plen); err != nil {
			return Output{}, fmt.Errorf("forward: positions: %w", err)
		}
	}
	for i := range e.layers {
		next, err := e.layerForward(&s, i, hidden, mask, terms, bsz, seq, plen, train)
		if err != nil {
			return Output{}, fmt.Errorf("forward: layer %d: %w", i, err)
		}
		tsx.FreeHandles(s.keep(hidden)) // activations saved for backward keep their own references
		hidden = next
	}
	if elen > 0 {
		if hidden, err = s.op(func(out *libtch.Ctensor) { libtch.AtgNarrow(out, hidden, 1, elen, seq-elen) }); err != nil {
			return Output{}, fmt.Errorf("forward: cut the embedding prefix: %w", err)
		}
	}
	if e.pooler.w == nil {
		return Output{Hidden: wrap(s.keep(hidden))}, nil
	}
	pooled, err := e.pool(&s, hidden)
	if err != nil {
		return Output{}, fmt.Errorf("forward: pooler: %w", err)
	}
	return Output{Hidden: wrap(s.keep(hidden)), Pooled: wrap(s.keep(pooled))}, nil
}

// checkBatch validates the batch tensors and returns (B, T).
func (e *Encoder) checkBatch(b Batch) (int64, int64, error) {
	if b.InputIDs == nil {
		return 0, 0, fmt.Errorf("batch has no input ids")
	}
	shape, err := b.InputIDs.Size()
	if err != nil {
		return 0, 0, fmt.Errorf("input ids: %w", torchErr(err))
	}
	if len(shape) != 2 || shape[0] == 0 || shape[1] == 0 {
		return 0, 0, fmt.Errorf("input ids have shape %v, want non-empty (batch, seq)", shape)
	}
	for _, t := range []struct {
		name string
		x    *ts.Tensor
	}{{"input ids", b.InputIDs}, {"type ids", b.TypeIDs}, {"mask", b.Mask}} {
		if t.x == nil {
			continue
		}
		s, err := t.x.Size()
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", t.name, torchErr(err))
		}
		if !sameShape(s, shape) {
			return 0, 0, fmt.Errorf("%s have shape %v, input ids %v", t.name, s, shape)
		}
		if t.name != "mask" && t.x.DType() != gotch.Int64 {
			return 0, 0, fmt.Errorf("%s have dtype %v, want int64", t.name, t.x.DType())
		}
	}
	return shape[0], shape[1], nil
}

// embed returns LayerNorm(word + type + position), with dropout in training: (B, T, H),
// tracked by s. Without absolute positions (NEZHA, RoFormer) it is LayerNorm(word + type);
// RoFormer's embeddings_project then maps E to H when they differ.
func (e *Encoder) embed(s *hscope, b Batch, bsz, seq, start int64, train bool) (raw, error) {
	var t hscope
	defer t.free()
	// An id past a table's end is the one way a lookup fails on valid tensors: say which
	// table and which config.json field sizes it.
	words, err := t.embedding(e.word, handle(b.InputIDs), e.Cfg.PadTokenID)
	if err != nil {
		return nil, fmt.Errorf("word embeddings: input ids must be below vocab_size %d: %w", e.Cfg.VocabSize, err)
	}
	var typeIDs raw
	if b.TypeIDs != nil {
		typeIDs = handle(b.TypeIDs)
	} else if typeIDs, err = t.filled(false, []int64{bsz, seq}, gotch.Int64, e.device); err != nil {
		return nil, err
	}
	types, err := t.embedding(e.typ, typeIDs, -1)
	if err != nil {
		return nil, fmt.Errorf("token type embeddings: type ids must be below type_vocab_size %d: %w", e.Cfg.TypeVocabSize, err)
	}
	// Same summation order as transformers: (word + type) + position.
	sum, err := t.add(words, types)
	if err != nil {
		return nil, err
	}
	if e.pos != nil {
		from, to := libtch.AtsInt(start), libtch.AtsInt(start+seq)
		posIDs, err := t.op(func(out *libtch.Ctensor) {
			libtch.AtgArangeStart(out, from, to, gotch.Int64.CInt(), e.device.CInt())
		})
		libtch.AtsFree(from)
		libtch.AtsFree(to)
		if err != nil {
			return nil, err
		}
		pos, err := t.embedding(e.pos, posIDs, -1) // (T, H), broadcast over B
		if err != nil {
			return nil, err
		}
		if sum, err = t.add(sum, pos); err != nil {
			return nil, err
		}
	}
	normed, err := t.layerNorm(e.embLN, sum)
	if err != nil {
		return nil, err
	}
	out, err := t.dropout(normed, e.Cfg.HiddenDropoutProb, train)
	if err != nil {
		return nil, err
	}
	if e.project.w != nil {
		if out, err = e.linear(&t, e.project, out); err != nil {
			return nil, fmt.Errorf("embeddings_project: %w", err)
		}
	}
	s.held = append(s.held, t.keep(out))
	return out, nil
}

// additiveMask turns a (B, T) 1/0 mask into (B, 1, 1, P+T) scores to add: 0 where a key is
// visible, the dtype's most negative finite value where it is padding (transformers' choice,
// which keeps fully padded rows finite). Prefix keys are always visible. The result is
// tracked by s.
func (e *Encoder) additiveMask(s *hscope, m raw, bsz, seq, plen int64) (raw, error) {
	var t hscope
	defer t.free()
	dtype := e.word.DType()
	vis, err := t.op(func(out *libtch.Ctensor) { libtch.AtgTotype(out, m, dtype.CInt()) })
	if err != nil {
		return nil, err
	}
	if plen > 0 {
		ones, err := t.filled(true, []int64{bsz, plen}, dtype, e.device)
		if err != nil {
			return nil, err
		}
		if vis, err = t.cat([]raw{ones, vis}, 1); err != nil {
			return nil, err
		}
	}
	// (m − 1)·max: 0 for visible keys, −max for padding.
	shifted, err := t.scalarOp(1, func(out *libtch.Ctensor, c libtch.Cscalar) { libtch.AtgSubScalar(out, vis, c) })
	if err != nil {
		return nil, err
	}
	scaled, err := t.scalarOp(maxFinite(dtype), func(out *libtch.Ctensor, c libtch.Cscalar) {
		libtch.AtgMulScalar(out, shifted, c)
	})
	if err != nil {
		return nil, err
	}
	out, err := t.view(scaled, []int64{bsz, 1, 1, plen + seq})
	if err != nil {
		return nil, err
	}
	s.held = append(s.held, t.keep(out))
	return out, nil
}

// maxFinite is the largest finite value of a floating dtype.
func maxFinite(d gotch.DType) float64 {
	switch d {
	case gotch.Double:
		return math.MaxFloat64
	case gotch.Half:
		return 65504
	case gotch.BFloat16:
		return 3.3895313892515355e38
	default:
		return math.MaxFloat32
	}
}

// pool returns tanh(dense(hidden[:, 0])): (B, H), tracked by s.
func (e *Encoder) pool(s *hscope, hidden raw) (raw, error) {
	var t hscope
	defer t.free()
	cls, err := t.op(func(out *libtch.Ctensor) { libtch.AtgSelect(out, hidden, 1, 0) })
	if err != nil {
		return nil, err
	}
	d, err := e.linear(&t, e.pooler, cls)
	if err != nil {
		return nil, err
	}
	out, err := t.op(func(out *libtch.Ctensor) { libtch.AtgTanh(out, d) })
	if err != nil {
		return nil, err
	}
	s.held = append(s.held, t.keep(out))
	return out, nil
}
