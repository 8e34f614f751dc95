//go:build cgo

package model

import (
	"fmt"

	"github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// The encoder's attachment points. A tuning method hooks in through these alone; the encoder
// knows nothing of any method. Every hook is optional: with none set, Forward runs exactly the
// operations of the plain encoder on raw handles, and each point costs one nil check.
//
//   - SetLinearHook wraps one of a layer's six linear maps (Site): the hook gets the map's input,
//     its frozen output and the input of the block it sits in, and returns the output to use.
//     A parallel branch returns y + g(x) (LoRA), a wrapper f(y) (IA3's scaling of K and V), and
//     a branch parallel to the whole FFN reads the block input at SiteFFNOut (FL-tuning, the
//     parallel adapter).
//   - SetKVPrefix puts extra keys and values in front of every layer's own (P-tuning v2,
//     prefix tuning).
//   - SetFFNActivationScale multiplies the FFN hidden activation by a per-layer vector (IA3).
//   - SetSublayerHook rewrites each block's output after its dropout, before the residual add
//     and LayerNorm (Houlsby adapters).
//   - SetEmbeddingPrefix puts extra vectors in front of the embeddings output (prompt tuning).

// LinearCall is one call of a layer's linear map, as a LinearHook sees it. The tensors its
// methods return belong to the encoder: do not drop them, and do not keep them past the call.
type LinearCall struct {
	Layer int
	Site  Site
	Train bool

	x, y, block raw
	lent        []*ts.Tensor
}

// Input is the map's input x, (B, T, in).
func (c *LinearCall) Input() (*ts.Tensor, error) { return c.lend(c.x) }

// Output is the frozen map's output y = x·Wᵀ + b, (B, T, out).
func (c *LinearCall) Output() (*ts.Tensor, error) { return c.lend(c.y) }

// BlockInput is the input of the sublayer the map belongs to, (B, T, H): the layer input for
// the attention maps, the attention block's output for the FFN maps.
func (c *LinearCall) BlockInput() (*ts.Tensor, error) { return c.lend(c.block) }

// lend wraps a handle for the hook; the wrappers are dropped when the call returns. Wrapping
// only on request keeps hooks that read one tensor from paying for three.
func (c *LinearCall) lend(h raw) (*ts.Tensor, error) {
	t, err := borrow(h)
	if err != nil {
		return nil, err
	}
	c.lent = append(c.lent, t)
	return t, nil
}

// LinearHook wraps a linear map: Linear returns the output to use instead of the frozen one
// (LinearCall.Output), with the frozen output's shape, or nil to keep it. The encoder drops
// the returned tensor after use, so return a fresh one.
type LinearHook interface {
	Linear(c *LinearCall) (*ts.Tensor, error)
}

// KVPrefix supplies extra keys and values that every layer's attention sees in front of its
// own (P-tuning v2, prefix tuning).
type KVPrefix interface {
	// Len is the number of prefix positions P (0 disables the prefix).
	Len() int64
	// KV returns layer's prefix keys and values, each (B, heads, P, headDim), in the space after
	// the K/V projections. Return fresh tensors: the encoder drops them after use.
	KV(layer int, batch int64, train bool) (k, v *ts.Tensor, err error)
	// ShiftPositions reports whether real tokens take positions P…P+T-1, as transformers does
	// when given past_key_values, rather than 0…T-1.
	ShiftPositions() bool
}

// ActivationScale scales the FFN hidden activation act(x·W₁ᵀ + b₁) elementwise (IA3).
type ActivationScale interface {
	// Scale returns layer's scale, broadcastable to (B, T, intermediate_size), or nil for
	// none. The tensor stays the hook's: the encoder does not drop it.
	Scale(layer int) (*ts.Tensor, error)
}

// SublayerHook rewrites a block's output, after the block's output dropout and before the
// residual add and LayerNorm (where Houlsby et al. put their adapters).
type SublayerHook interface {
	// Sublayer gets the block output (B, T, H), which belongs to the encoder, and returns a
	// fresh (B, T, H) tensor to use instead, or nil to keep it.
	Sublayer(layer int, block Block, out *ts.Tensor, train bool) (*ts.Tensor, error)
}

// EmbeddingPrefix supplies vectors put in front of the embeddings output (prompt tuning). They
// take part in every layer like tokens, are visible to every token, and are cut from the
// output again: Output.Hidden has the real tokens only, and the pooler reads the real [CLS].
// Real tokens' positions come after them (absolute, relative and rotary alike), as when the
// vectors are tokens of the input.
type EmbeddingPrefix interface {
	// Len is the number of vectors P (0 disables the prefix).
	Len() int64
	// Embeddings returns (B, P, H), a fresh tensor the encoder drops after use.
	Embeddings(batch int64, train bool) (*ts.Tensor, error)
}

// hooks are the encoder's attachment points; the zero value has none set.
type hooks struct {
	linear    [numSites]LinearHook
	kvPrefix  KVPrefix
	actScale  ActivationScale
	sublayer  SublayerHook
	embPrefix EmbeddingPrefix
}

// SetLinearHook installs (or, with nil, removes) the hook on every layer's map at site.
func (e *Encoder) SetLinearHook(site Site, h LinearHook) error {
	if site < 0 || site >= numSites {
		return fmt.Errorf("set linear hook: no site %d", int(site))
	}
	e.hooks.linear[site] = h
	return nil
}

// SetKVPrefix installs (or, with nil, removes) a key/value prefix used by every later Forward.
// The attention mask gets Len() ones prepended: the prefix is visible to every token.
func (e *Encoder) SetKVPrefix(p KVPrefix) { e.hooks.kvPrefix = p }

// SetFFNActivationScale installs (or, with nil, removes) a scale of the FFN hidden activation.
func (e *Encoder) SetFFNActivationScale(a ActivationScale) { e.hooks.actScale = a }

// SetSublayerHook installs (or, with nil, removes) a hook on both blocks' outputs.
func (e *Encoder) SetSublayerHook(h SublayerHook) { e.hooks.sublayer = h }

// SetEmbeddingPrefix installs (or, with nil, removes) vectors put in front of the embeddings.
func (e *Encoder) SetEmbeddingPrefix(p EmbeddingPrefix) { e.hooks.embPrefix = p }

// adopt takes over a hook's result: a second handle to the same tensor (same autograd
// identity), tracked by s, and the hook's wrapper dropped.
func (s *hscope) adopt(t *ts.Tensor) (raw, error) {
	defer tsx.Drop(t)
	return s.op(func(out *libtch.Ctensor) { *out = libtch.AtShallowClone(handle(t)) })
}

// hookedLinear is layer i's map l at site applied to x, tracked by s, through the site's hook
// when one is set. block is the input of the sublayer the map belongs to.
func (e *Encoder) hookedLinear(s *hscope, i int, site Site, l linear, x, block raw, train bool) (raw, error) {
	y, err := e.linear(s, l, x)
	h := e.hooks.linear[site]
	if err != nil || h == nil {
		return y, err
	}
	c := &LinearCall{Layer: i, Site: site, Train: train, x: x, y: y, block: block}
	out, err := h.Linear(c)
	tsx.Drop(c.lent...)
	if err != nil {
		tsx.Drop(out)
		return nil, fmt.Errorf("%s hook: %w", site, err)
	}
	if out == nil {
		return y, nil
	}
	r, err := s.adopt(out)
	if err != nil {
		return nil, err
	}
	if err := sameShapeAs(r, y, site.String()+" hook output"); err != nil {
		return nil, err
	}
	return r, nil
}

// sameShapeAs checks that a hook's result got has want's shape.
func sameShapeAs(got, want raw, what string) error {
	ws, err := shapeOf(want)
	if err != nil {
		return err
	}
	gs, err := shapeOf(got)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !sameShape(gs, ws) {
		return fmt.Errorf("%s has shape %v, want %v", what, gs, ws)
	}
	return nil
}

// scaledActivation multiplies layer i's FFN activation h by the hook's scale, if any.
func (e *Encoder) scaledActivation(s *hscope, i int, h raw) (raw, error) {
	if e.hooks.actScale == nil {
		return h, nil
	}
	sc, err := e.hooks.actScale.Scale(i)
	if err != nil {
		return nil, fmt.Errorf("activation scale: %w", err)
	}
	if sc == nil {
		return h, nil
	}
	return s.op(func(out *libtch.Ctensor) { libtch.AtgMul(out, h, handle(sc)) })
}

// sublayerOut passes block b's dropped-out output o through the sublayer hook, if any.
func (e *Encoder) sublayerOut(s *hscope, i int, b Block, o raw, train bool) (raw, error) {
	if e.hooks.sublayer == nil {
		return o, nil
	}
	x, err := borrow(o)
	if err != nil {
		return nil, err
	}
	out, err := e.hooks.sublayer.Sublayer(i, b, x, train)
	tsx.Drop(x)
	if err != nil {
		tsx.Drop(out)
		return nil, fmt.Errorf("sublayer hook: %w", err)
	}
	if out == nil {
		return o, nil
	}
	r, err := s.adopt(out)
	if err != nil {
		return nil, err
	}
	if err := sameShapeAs(r, o, "sublayer hook output"); err != nil {
		return nil, err
	}
	return r, nil
}

// prependEmbeddings puts the embedding prefix's (B, P, H) in front of hidden (B, T, H),
// tracked by s.
func (e *Encoder) prependEmbeddings(s *hscope, hidden raw, bsz, plen int64, train bool) (raw, error) {
	p, err := e.hooks.embPrefix.Embeddings(bsz, train)
	defer tsx.Drop(p)
	if err != nil {
		return nil, fmt.Errorf("embedding prefix: %w", err)
	}
	if p == nil {
		return nil, fmt.Errorf("embedding prefix is nil")
	}
	got, err := p.Size()
	if err != nil {
		return nil, fmt.Errorf("embedding prefix: %w", torchErr(err))
	}
	if want := []int64{bsz, plen, e.Cfg.HiddenSize}; !sameShape(got, want) {
		return nil, fmt.Errorf("embedding prefix has shape %v, want %v", got, want)
	}
	return s.cat([]raw{handle(p), hidden}, 1)
}
