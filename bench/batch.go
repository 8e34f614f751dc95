package bench

import (
	"fmt"
	"math/rand"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/tokenizer"
)

// encoded is a split tokenised once, before training: token ids and type ids per example.
type encoded struct {
	ids, types [][]int64
	labels     []int
	exampleIDs []string
}

// encodeSplit tokenises examples: single texts as [CLS] a [SEP], pairs as [CLS] a [SEP] b [SEP].
func encodeSplit(tok *tokenizer.Tokenizer, exs []clue.Example, maxLen int) encoded {
	e := encoded{ids: make([][]int64, len(exs)), types: make([][]int64, len(exs)), labels: make([]int, len(exs)), exampleIDs: make([]string, len(exs))}
	for i, ex := range exs {
		var enc tokenizer.Encoding
		if ex.TextB == "" {
			enc = tok.Encode(ex.TextA, maxLen)
		} else {
			enc = tok.EncodePair(ex.TextA, ex.TextB, maxLen)
		}
		e.ids[i], e.types[i], e.labels[i], e.exampleIDs[i] = enc.IDs, enc.TypeIDs, ex.Label, ex.ID
	}
	return e
}

func (e encoded) len() int { return len(e.ids) }

// order returns example indices for one epoch: shuffled by a generator derived from the seed
// and epoch (so a resumed or repeated run sees the same order), or in file order for eval.
func (e encoded) order(shuffle bool, seed int64, epoch int) []int {
	idx := make([]int, e.len())
	for i := range idx {
		idx[i] = i
	}
	if shuffle {
		r := rand.New(rand.NewSource(seed*1_000_003 + int64(epoch)))
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	}
	return idx
}

// batch is one padded mini-batch on the device. Padding is to the longest example in the
// batch, not to max_len: most CLUE sentences are short, and attention cost grows with length².
type batch struct {
	in     model.Batch
	labels *ts.Tensor // (B) int64
	size   int
	tokens int // real tokens, for throughput
}

func (b *batch) drop() {
	for _, t := range []*ts.Tensor{b.in.InputIDs, b.in.TypeIDs, b.in.Mask, b.labels} {
		if t != nil {
			t.MustDrop()
		}
	}
}

// makeBatch pads and uploads examples idx of e.
func (e encoded) makeBatch(idx []int, pad int64, dev gotch.Device) (*batch, error) {
	maxT := 0
	for _, i := range idx {
		if len(e.ids[i]) > maxT {
			maxT = len(e.ids[i])
		}
	}
	n := len(idx)
	ids := make([]int64, n*maxT)
	types := make([]int64, n*maxT)
	mask := make([]int64, n*maxT)
	labels := make([]int64, n)
	tokens := 0
	for r, i := range idx {
		row := ids[r*maxT : (r+1)*maxT]
		for c := range row {
			row[c] = pad
		}
		copy(row, e.ids[i])
		copy(types[r*maxT:], e.types[i])
		for c := range e.ids[i] {
			mask[r*maxT+c] = 1
		}
		tokens += len(e.ids[i])
		labels[r] = int64(e.labels[i])
		if labels[r] < 0 {
			labels[r] = 0 // unlabelled (test): never used for loss
		}
	}
	b := &batch{size: n, tokens: tokens}
	var err error
	shape := []int64{int64(n), int64(maxT)}
	if b.in.InputIDs, err = upload(ids, shape, dev); err == nil {
		if b.in.TypeIDs, err = upload(types, shape, dev); err == nil {
			if b.in.Mask, err = upload(mask, shape, dev); err == nil {
				b.labels, err = upload(labels, []int64{int64(n)}, dev)
			}
		}
	}
	if err != nil {
		b.drop()
		return nil, fmt.Errorf("make batch: %w", err)
	}
	return b, nil
}

func upload(data []int64, shape []int64, dev gotch.Device) (*ts.Tensor, error) {
	x, err := ts.OfSlice(data, ts.WithDType(gotch.Int64))
	if err != nil {
		return nil, err
	}
	y, err := x.Reshape(shape, true)
	if err != nil {
		return nil, err
	}
	if dev == gotch.CPU {
		return y, nil
	}
	return y.ToDevice(dev, gotch.Int64, true, false, true)
}
