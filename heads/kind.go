package heads

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/tokenizer"
)

// Kind supplies everything about one clue task kind that the runner needs: how examples
// become model inputs, the head, its loss, how its outputs become predictions, and its size.
// Each kind lives in one file and registers itself in init; the runner looks kinds up by
// clue.Task.Kind and never names one.
type Kind interface {
	// Name is the clue.Task.Kind served ("classification", "ner").
	Name() string
	// Prefix names the head's variables: the runner builds the head under
	// vs.Root().Sub(Prefix()) and trains every variable named Prefix()+"." + something.
	Prefix() string
	// Encode tokenises examples once, before training, into units: what one head output is
	// computed from (a sentence; a question with its choices). Unit order is stable.
	Encode(tok *tokenizer.Tokenizer, task *clue.Task, exs []clue.Example, o Options) (Data, error)
	// NewHead creates the head's variables under p.
	NewHead(p *nn.Path, task *clue.Task, hidden int64, o Options) (Head, error)
	// Params counts the parameters NewHead creates, from the sizes alone.
	Params(task *clue.Task, hidden int64) int64
}

// Options are the cell's settings that kinds read.
type Options struct {
	MaxLen  int     // tokens per model row, special tokens included
	Pooler  bool    // classification: read the pooler output instead of [CLS]
	Dropout float64 // on the head's input, while training
}

// Data is one split encoded by a kind.
type Data interface {
	// Len is the number of units.
	Len() int
	// UnitLen is the length in tokens of unit i's longest row. Evaluation batches units of
	// similar length together, so that short units are not padded to a long neighbour.
	UnitLen(i int) int
	// Batch pads and uploads units idx; the caller drops it.
	Batch(idx []int, dev gotch.Device) (*Batch, error)
	// Decode turns the head's guesses for every unit, in unit order, into one prediction per
	// encoded example.
	Decode(guesses []Guess) ([]clue.Prediction, error)
	// Notes describe what encoding lost (truncated answers, unaligned entities), for the log.
	Notes() []string
}

// Head is a task head on the encoder output. Both methods read b's kind-specific tensors.
type Head interface {
	// Loss is the mean training loss of the batch, with the head's dropout; the caller drops it.
	Loss(out model.Output, b *Batch) (*ts.Tensor, error)
	// Predict returns one guess per unit of b, in eval mode.
	Predict(out model.Output, b *Batch) ([]Guess, error)
}

// Batch is a padded mini-batch on the device. Padding is to the longest row in the batch, not
// to max_len: most CLUE sentences are short, and attention cost grows with length².
type Batch struct {
	In     model.Batch // (rows, T)
	Target *ts.Tensor  // the gold answer in the kind's layout (classification: (B) labels); may be nil
	Extra  *ts.Tensor  // a second kind-specific tensor (ner: (B, T) text-token mask); may be nil
	Units  int
	Tokens int // real tokens, for throughput
}

// Drop frees the batch's tensors.
func (b *Batch) Drop() {
	for _, t := range []*ts.Tensor{b.In.InputIDs, b.In.TypeIDs, b.In.Mask, b.Target, b.Extra} {
		if t != nil {
			tsx.Drop(t)
		}
	}
}

// Guess is what a head proposes for one unit: a class or choice (one Scored with Label), or
// any number of token spans (Label = entity type, Start/End = token indices, End inclusive).
type Guess []Scored

// Scored is one proposal with the head's score for it.
type Scored struct {
	Label, Start, End int
	Score             float64
}

// registry holds every kind; written only from init functions.
var registry = map[string]Kind{}

// Register adds a kind; a duplicate or unnamed kind is a programming error.
func Register(k Kind) {
	if k.Name() == "" || k.Prefix() == "" || strings.Contains(k.Prefix(), ".") {
		panic(fmt.Sprintf("heads: kind %q needs a name and a prefix without dots", k.Name()))
	}
	if _, dup := registry[k.Name()]; dup {
		panic("heads: duplicate kind " + k.Name())
	}
	registry[k.Name()] = k
}

// Lookup returns the kind serving clue tasks of this Kind; the error lists the known kinds.
func Lookup(name string) (Kind, error) {
	if k, ok := registry[name]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("heads: no head for task kind %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Names lists the registered kinds, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// rows are tokenised model rows, padded together by padRows.
type rows struct {
	ids, types [][]int64
}

// UnitLen serves kinds with one row per unit.
func (r *rows) UnitLen(i int) int { return len(r.ids[i]) }

func (r *rows) add(e tokenizer.Encoding) {
	r.ids = append(r.ids, e.IDs)
	r.types = append(r.types, e.TypeIDs)
}

// padRows pads rows idx of r with pad to the longest among them and uploads ids, type ids
// and the attention mask. It returns the padded length. A batch whose rows all have the
// longest length gets no mask (model.Batch's nil): adding an all-zero additive mask to every
// layer's (T × keys) scores changes no number, and skipping it saves a pass over them.
func (r *rows) padRows(idx []int, pad int64, dev gotch.Device, b *Batch) (int, error) {
	maxT := 0
	for _, i := range idx {
		maxT = max(maxT, len(r.ids[i]))
	}
	n := len(idx)
	padded := false
	ids := make([]int64, n*maxT)
	types := make([]int64, n*maxT)
	mask := make([]int64, n*maxT)
	for k, i := range idx {
		row := ids[k*maxT : (k+1)*maxT]
		for c := range row {
			row[c] = pad
		}
		copy(row, r.ids[i])
		copy(types[k*maxT:], r.types[i])
		for c := range r.ids[i] {
			mask[k*maxT+c] = 1
		}
		padded = padded || len(r.ids[i]) < maxT
		b.Tokens += len(r.ids[i])
	}
	var err error
	shape := []int64{int64(n), int64(maxT)}
	if b.In.InputIDs, err = upload(ids, shape, dev); err == nil {
		if b.In.TypeIDs, err = upload(types, shape, dev); err == nil && padded {
			b.In.Mask, err = upload(mask, shape, dev)
		}
	}
	return maxT, err
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

// floats copies a tensor's values out as float64. (gotch's Float64Values leaks the converted
// copy it makes, and exits the process on an error.)
func floats(t *ts.Tensor) ([]float64, error) {
	d, err := t.Totype(gotch.Double, false)
	if err != nil {
		return nil, err
	}
	defer tsx.Drop(d)
	n, err := tsx.Numel(d)
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	if n == 0 {
		return out, nil
	}
	return out, d.CopyData(out, uint(n))
}

// ints copies an integer tensor's values out as int64, without gotch's exiting Must* path.
func ints(t *ts.Tensor) ([]int64, error) {
	d, err := t.Totype(gotch.Int64, false)
	if err != nil {
		return nil, err
	}
	defer tsx.Drop(d)
	n, err := tsx.Numel(d)
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	if n == 0 {
		return out, nil
	}
	return out, d.CopyData(out, uint(n))
}
