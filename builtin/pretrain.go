//go:build cgo

package builtin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/optim"
	"github.com/clue-bench/clue-bench/tokenizer"
	"github.com/clue-bench/clue-bench/trainer"
)

// mlmHead is BERT's masked-LM head with transformers' names (cls.predictions.*): a dense +
// activation + LayerNorm transform, then a decoder tied to the word embeddings plus a bias.
// It is saved with the checkpoint, as real checkpoints carry it, and unused by fine-tuning.
type mlmHead struct {
	dense, denseB, lnW, lnB, bias, word *ts.Tensor
	eps                                 float64
}

func newMLMHead(vs *nn.VarStore, cfg model.Config) (*mlmHead, error) {
	// Each variable's path is built from a fresh root just before use: gotch's Path.Sub appends
	// to its parent's slice, so sibling paths held at once can alias each other.
	path := func(names ...string) *nn.Path {
		p := vs.Root()
		for _, n := range append([]string{"cls", "predictions"}, names...) {
			p = p.Sub(n)
		}
		return p
	}
	h := &mlmHead{eps: cfg.LayerNormEps}
	var err error
	vars := []struct {
		dst  **ts.Tensor
		path []string
		name string
		dims []int64
		init nn.Init
	}{
		{&h.dense, []string{"transform", "dense"}, "weight", []int64{cfg.HiddenSize, cfg.HiddenSize}, nn.NewRandnInit(0, 0.02)},
		{&h.denseB, []string{"transform", "dense"}, "bias", []int64{cfg.HiddenSize}, nn.NewConstInit(0)},
		{&h.lnW, []string{"transform", "LayerNorm"}, "weight", []int64{cfg.HiddenSize}, nn.NewConstInit(1)},
		{&h.lnB, []string{"transform", "LayerNorm"}, "bias", []int64{cfg.HiddenSize}, nn.NewConstInit(0)},
		{&h.bias, nil, "bias", []int64{cfg.VocabSize}, nn.NewConstInit(0)},
	}
	for _, v := range vars {
		if *v.dst, err = path(v.path...).NewVar(v.name, v.dims, v.init); err != nil {
			return nil, fmt.Errorf("mlm head %s: %w", v.name, err)
		}
	}
	word, ok := vs.Variables()[cfg.Namespace()+".embeddings.word_embeddings.weight"]
	if !ok {
		return nil, fmt.Errorf("mlm head: encoder has no word embeddings")
	}
	h.word = &word
	return h, nil
}

// logits maps selected hidden states (M, H) to vocabulary logits (M, V).
func (h *mlmHead) logits(x *ts.Tensor) (*ts.Tensor, error) {
	var s tsx.Scope
	defer s.Drop()
	wt, err := s.Track(h.dense.T(false))
	if err != nil {
		return nil, err
	}
	y, err := s.Track(x.Matmul(wt, false))
	if err != nil {
		return nil, err
	}
	if err := tsx.Add(y, h.denseB); err != nil {
		return nil, err
	}
	if y, err = s.Track(y.Gelu("none", false)); err != nil {
		return nil, err
	}
	lnShape, err := h.lnW.Size()
	if err != nil {
		return nil, fmt.Errorf("mlm head LayerNorm: %w", tsx.Err(err))
	}
	if y, err = s.Track(ts.LayerNorm(y, lnShape[:1], h.lnW, h.lnB, h.eps, false)); err != nil {
		return nil, err
	}
	et, err := s.Track(h.word.T(false))
	if err != nil {
		return nil, err
	}
	out, err := y.Matmul(et, false)
	if err != nil {
		return nil, err
	}
	if err := tsx.Add(out, h.bias); err != nil {
		tsx.Drop(out)
		return nil, err
	}
	return out, nil
}

// Progress receives pre-training progress; loss is the masked-LM loss averaged over about the
// last 50 steps.
type Progress func(step, total int, loss float64)

// Pretrain trains a fresh BERT of the spec with masked-LM on corpus lines and writes an HF
// model directory (config.json, vocab.txt, model.safetensors) to out.
func Pretrain(ctx context.Context, spec Spec, vocab []string, corpus []string, out string, progress Progress) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if spec.Threads > 0 {
		torchrt.SetNumThreads(spec.Threads)
	} else {
		torchrt.SetNumThreads(runtime.NumCPU())
	}
	v, err := tokenizer.NewVocab(vocab)
	if err != nil {
		return err
	}
	tok, err := tokenizer.New(v, tokenizer.DefaultOptions())
	if err != nil {
		return err
	}
	cfg := spec.Config(int64(len(vocab)))
	torchrt.ManualSeed(spec.Seed)
	dev, err := torchrt.ParseDevice(spec.Device)
	if err != nil {
		return err
	}
	vs := nn.NewVarStore(dev)
	defer vs.Destroy()
	enc, err := model.NewEncoder(vs.Root().Sub(cfg.Namespace()), cfg)
	if err != nil {
		return err
	}
	head, err := newMLMHead(vs, cfg)
	if err != nil {
		return err
	}
	var params []optim.Param
	for name, t := range vs.Variables() {
		t := t
		params = append(params, optim.Param{Name: name, Tensor: &t, Decay: trainer.Decays(name)})
	}
	opt := optim.NewAdamW(params, 0.01)
	defer opt.Close()

	seqs := encodeCorpus(tok, corpus, spec.SeqLen, spec.Seed)
	if len(seqs) < spec.Batch {
		return fmt.Errorf("pretrain: corpus gives %d sequences, fewer than one batch of %d", len(seqs), spec.Batch)
	}
	r := rand.New(rand.NewSource(spec.Seed))
	masker := newMasker(tok, len(vocab), r)
	warm := spec.Steps / 20
	smooth := 0.0 // loss averaged over about the last 50 steps: one batch's loss is noisy
	for step := 0; step < spec.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		lr := spec.LR * math.Min(float64(step+1)/float64(max(warm, 1)), float64(spec.Steps-step)/float64(spec.Steps-warm))
		batch := make([][2][]int64, spec.Batch)
		for i := range batch {
			batch[i] = seqs[r.Intn(len(seqs))]
		}
		loss, err := pretrainStep(opt, enc, head, masker, batch, tok.PAD(), dev, lr)
		if err != nil {
			return fmt.Errorf("pretrain step %d: %w", step+1, err)
		}
		if step == 0 {
			smooth = loss
		}
		smooth += (loss - smooth) / 50
		if progress != nil {
			progress(step+1, spec.Steps, smooth)
		}
	}
	return save(vs, cfg, vocab, spec, out)
}

// encodeCorpus turns lines into training sequences: a line alone, or (half the time) a line
// and the next one as a pair, so that token type embeddings are trained too.
func encodeCorpus(tok *tokenizer.Tokenizer, lines []string, seqLen int, seed int64) [][2][]int64 {
	r := rand.New(rand.NewSource(seed + 1))
	var out [][2][]int64
	for i := 0; i < len(lines); i++ {
		var e tokenizer.Encoding
		if i+1 < len(lines) && r.Intn(2) == 0 {
			e = tok.EncodePair(lines[i], lines[i+1], seqLen)
			i++
		} else {
			e = tok.Encode(lines[i], seqLen)
		}
		if len(e.IDs) > 4 {
			out = append(out, [2][]int64{e.IDs, e.TypeIDs})
		}
	}
	return out
}

// masker applies BERT's masking: 15% of the non-special tokens are predicted; of those 80%
// become [MASK], 10% a random token, 10% stay.
type masker struct {
	tok     *tokenizer.Tokenizer
	vocabN  int
	r       *rand.Rand
	special map[int64]bool
}

func newMasker(tok *tokenizer.Tokenizer, vocabN int, r *rand.Rand) *masker {
	return &masker{tok: tok, vocabN: vocabN, r: r, special: map[int64]bool{tok.CLS(): true, tok.SEP(): true, tok.PAD(): true}}
}

// mask returns the corrupted ids and, for each predicted position, its index and target id.
func (m *masker) mask(ids []int64) (out []int64, pos []int, target []int64) {
	out = append([]int64(nil), ids...)
	for i, id := range ids {
		if m.special[id] || m.r.Float64() >= 0.15 {
			continue
		}
		pos, target = append(pos, i), append(target, id)
		switch x := m.r.Float64(); {
		case x < 0.8:
			out[i] = m.tok.MASK()
		case x < 0.9:
			out[i] = int64(5 + m.r.Intn(m.vocabN-5)) // the first ids are the special tokens
		}
	}
	return out, pos, target
}

// pretrainStep is one masked-LM step: loss, gradients clipped to norm 1, AdamW at lr.
func pretrainStep(opt *optim.AdamW, enc *model.Encoder, head *mlmHead, m *masker, batch [][2][]int64, pad int64, dev gotch.Device, lr float64) (float64, error) {
	grads := optim.NewGrads(opt.Params())
	defer grads.Free()
	loss, err := mlmStep(grads, opt.Params(), enc, head, m, batch, pad, dev)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(loss) {
		return 0, errors.New("diverged: the loss is NaN")
	}
	if _, err := grads.ClipNorm(1); err != nil {
		return 0, err
	}
	return loss, opt.Step(lr, grads)
}

func mlmStep(grads *optim.Grads, params []optim.Param, enc *model.Encoder, head *mlmHead, m *masker, batch [][2][]int64, pad int64, dev gotch.Device) (float64, error) {
	maxT := 0
	for _, s := range batch {
		maxT = max(maxT, len(s[0]))
	}
	n := len(batch)
	ids, types, mask := make([]int64, n*maxT), make([]int64, n*maxT), make([]int64, n*maxT)
	var flatPos, targets []int64
	for b, s := range batch {
		corrupted, pos, tgt := m.mask(s[0])
		for t := 0; t < maxT; t++ {
			ids[b*maxT+t] = pad
		}
		copy(ids[b*maxT:], corrupted)
		copy(types[b*maxT:], s[1])
		for t := range s[0] {
			mask[b*maxT+t] = 1
		}
		for k, p := range pos {
			flatPos, targets = append(flatPos, int64(b*maxT+p)), append(targets, tgt[k])
		}
	}
	if len(targets) == 0 {
		return 0, nil
	}
	var s tsx.Scope
	defer s.Drop()
	up := func(data []int64, shape ...int64) (*ts.Tensor, error) {
		x, err := ts.OfSlice(data, ts.WithDType(gotch.Int64))
		if err != nil {
			return nil, err
		}
		y, err := x.Reshape(shape, true)
		if err != nil {
			return nil, err
		}
		if dev != gotch.CPU {
			if y, err = y.ToDevice(dev, gotch.Int64, false, false, true); err != nil {
				return nil, err
			}
		}
		s.Track(y, nil)
		return y, nil
	}
	var in model.Batch
	var posT, tgtT *ts.Tensor
	var err error
	if in.InputIDs, err = up(ids, int64(n), int64(maxT)); err != nil {
		return 0, err
	}
	if in.TypeIDs, err = up(types, int64(n), int64(maxT)); err != nil {
		return 0, err
	}
	if in.Mask, err = up(mask, int64(n), int64(maxT)); err != nil {
		return 0, err
	}
	if posT, err = up(flatPos, int64(len(flatPos))); err != nil {
		return 0, err
	}
	if tgtT, err = up(targets, int64(len(targets))); err != nil {
		return 0, err
	}
	out, err := enc.Forward(in, true)
	if err != nil {
		return 0, err
	}
	s.Track(out.Hidden, nil)
	s.Track(out.Pooled, nil)
	flat, err := s.Track(out.Hidden.Reshape([]int64{int64(n * maxT), enc.Cfg.HiddenSize}, false))
	if err != nil {
		return 0, err
	}
	sel, err := s.Track(flat.IndexSelect(0, posT, false))
	if err != nil {
		return 0, err
	}
	logits, err := s.Track(head.logits(sel))
	if err != nil {
		return 0, err
	}
	none := ts.NewTensor() // "no class weights"; freed here rather than by a finalizer
	defer tsx.Drop(none)
	loss, err := s.Track(logits.CrossEntropyLoss(tgtT, none, 1, -100, 0, false))
	if err != nil {
		return 0, err
	}
	if err := grads.Backward(loss, params); err != nil {
		return 0, err
	}
	return loss.Float64Value([]int64{})
}

// save writes the HF model directory atomically: a half-written backbone is never used.
func save(vs *nn.VarStore, cfg model.Config, vocab []string, spec Spec, out string) error {
	tmp := out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	named := map[string]*ts.Tensor{}
	for name, t := range vs.Variables() {
		t := t
		named[name] = &t
	}
	if err := model.WriteSafetensors(filepath.Join(tmp, "model.safetensors"), named); err != nil {
		return err
	}
	hf := map[string]any{"architectures": []string{"BertForMaskedLM"}, "model_type": "bert"}
	b, _ := json.Marshal(cfg)
	_ = json.Unmarshal(b, &hf)
	b, _ = json.MarshalIndent(hf, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "config.json"), b, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "vocab.txt"), []byte(strings.Join(vocab, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	b, _ = json.MarshalIndent(map[string]any{"spec": spec, "created": time.Now().UTC()}, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "pretraining.json"), b, 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
