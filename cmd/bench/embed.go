//go:build cgo

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/tokenizer"
)

func init() {
	register(&command{
		name: "embed",
		summary: "encode a text (or, with --pair, two) with a Hugging Face BERT directory; print ids, tokens and embeddings as JSON\n" +
			"One JSON object: input_ids, token_type_ids, tokens, offsets, cls (last-layer [CLS]\n" +
			"hidden state) and pooled, in eval mode and float32.",
		args:     "TEXT [TEXT2]",
		maxArgs:  2,
		required: []string{"model"},
		flags:    embedFlags,
	})
}

// embedOutput is what `bench embed` prints.
type embedOutput struct {
	InputIDs     []int64   `json:"input_ids"`
	TokenTypeIDs []int64   `json:"token_type_ids"`
	Tokens       []string  `json:"tokens"`
	Offsets      [][2]int  `json:"offsets"`
	CLS          []float32 `json:"cls"`
	Pooled       []float32 `json:"pooled,omitempty"` // none for RoFormer, which has no pooler
}

func embedFlags(fs *flag.FlagSet) action {
	dir := fs.String("model", "", "model `DIR`: config.json, vocab.txt, model.safetensors or pytorch_model.bin")
	pair := fs.Bool("pair", false, "encode TEXT and TEXT2 as a sentence pair")
	maxLen := fs.Int("max-len", 0, "truncate to `N` tokens (0: max_position_embeddings)")
	device := fs.String("device", "auto", "`DEVICE`: auto (a GPU if libtorch sees one), cpu, cuda or cuda:N")
	return func(texts []string, stdout, stderr io.Writer) error {
		want := 1
		if *pair {
			want = 2
		}
		if len(texts) != want {
			return usageErrorf("want %d text(s), got %d", want, len(texts))
		}
		if err := intAtLeast("max-len", *maxLen, 0, "0 = max_position_embeddings"); err != nil {
			return err
		}
		torchrt.LockThread()
		out, err := embed(*dir, texts, *maxLen, *device, stderr)
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(out)
	}
}

// embed loads the model in dir, encodes texts (one, or a pair) and runs it once in eval mode.
func embed(dir string, texts []string, maxLen int, device string, stderr io.Writer) (*embedOutput, error) {
	d, err := model.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.FromDir(dir)
	if err != nil {
		return nil, err
	}
	dev, err := torchrt.ParseDevice(device)
	if err != nil {
		return nil, err
	}
	vs := nn.NewVarStore(dev)
	defer vs.Destroy()
	enc, err := model.NewEncoder(vs.Root().Sub(d.Config.Namespace()), d.Config)
	if err != nil {
		return nil, err
	}
	rep, err := model.LoadWeights(d, vs)
	if err != nil {
		return nil, err
	}
	if len(rep.Unused) > 0 {
		fmt.Fprintf(stderr, "bench embed: %d checkpoint tensors not used: %s\n", len(rep.Unused), strings.Join(rep.Unused, ", "))
	}

	if maxLen <= 0 || int64(maxLen) > d.Config.MaxPositionEmbeddings {
		maxLen = int(d.Config.MaxPositionEmbeddings)
	}
	var e tokenizer.Encoding
	if len(texts) == 2 {
		e = tok.EncodePair(texts[0], texts[1], maxLen)
	} else {
		e = tok.Encode(texts[0], maxLen)
	}
	ids, err := idTensor(e.IDs, dev)
	if err != nil {
		return nil, err
	}
	defer ids.Drop()
	types, err := idTensor(e.TypeIDs, dev)
	if err != nil {
		return nil, err
	}
	defer types.Drop()

	var res model.Output
	ts.NoGrad(func() { res, err = enc.Forward(model.Batch{InputIDs: ids, TypeIDs: types}, false) })
	if err != nil {
		return nil, err
	}
	defer res.Hidden.Drop()
	// Pooled is nil for an architecture without a pooler (RoFormer).
	defer tsx.Drop(res.Pooled)
	cls, err := res.Hidden.Select(1, 0, false) // (1, H)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	defer cls.Drop()
	out := &embedOutput{InputIDs: e.IDs, TokenTypeIDs: e.TypeIDs, Tokens: e.Tokens, Offsets: e.Offsets}
	if out.CLS, err = float32s(cls); err != nil {
		return nil, err
	}
	if res.Pooled != nil {
		if out.Pooled, err = float32s(res.Pooled); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// idTensor makes a (1, n) int64 tensor on dev.
func idTensor(ids []int64, dev gotch.Device) (*ts.Tensor, error) {
	flat, err := ts.OfSlice(ids)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	row, err := flat.View([]int64{1, int64(len(ids))}, true)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	t, err := row.To(dev, true)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	return t, nil
}

// float32s copies a tensor's elements (any float dtype, any device) into a []float32.
func float32s(x *ts.Tensor) ([]float32, error) {
	f, err := x.Totype(gotch.Float, false)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	defer f.Drop()
	v := make([]float32, f.Numel())
	if err := f.CopyData(v, f.Numel()); err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	return v, nil
}
