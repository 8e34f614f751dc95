package bench

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/internal/tensortest"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/tokenizer"
	"github.com/clue-bench/clue-bench/trainer"
)

// predict sorts units by length before batching; its predictions must still be those of each
// unit alone, in unit order, whatever the batch size.
func TestPredictKeepsUnitOrder(t *testing.T) {
	tensortest.Lock(t)
	dir := t.TempDir()
	writeTinyModel(t, dir)
	md, err := model.OpenDir(dir)
	must(t, err)
	tok, err := tokenizer.FromDir(dir)
	must(t, err)
	task, err := clue.Lookup("tnews")
	must(t, err)
	kind, err := heads.Lookup(task.Kind)
	must(t, err)
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	enc, err := model.NewEncoder(vs.Root().Sub("bert"), md.Config)
	must(t, err)
	opts := heads.Options{MaxLen: 24}
	_, err = model.LoadWeights(md, vs)
	must(t, err)

	// Lengths from 1 to 20 characters in random order, so sorting moves most units.
	r := rand.New(rand.NewSource(rand.Int63()))
	var exs []clue.Example
	for i := 0; i < 23; i++ {
		s := make([]rune, 1+r.Intn(20))
		for k := range s {
			s[k] = tinyChars[r.Intn(len(tinyChars))]
		}
		exs = append(exs, clue.Example{ID: string(rune('a' + i)), TextA: string(s), Label: -1})
	}
	m := &trainer.Model{Encoder: enc}
	s := &session{task: task, kind: kind, opts: opts, tok: tok, m: m, device: gotch.CPU, logf: t.Logf}
	sp, err := s.encode(exs)
	must(t, err)

	// The head under test labels each unit by its own token count, so any unit that gets
	// another unit's guess shows up.
	m.Head = lengthHead{}
	want := make([]int, len(exs))
	for i := range exs {
		want[i] = sp.data.UnitLen(i) % len(task.Labels)
	}
	for _, bs := range []int{1, 4, 7, 64} {
		s.cell.Hyper.EvalBatchSize = bs
		pred, err := s.predict(sp)
		must(t, err)
		for i, p := range pred {
			if p.Label != want[i] {
				t.Errorf("eval batch %d: unit %d (%d chars) predicted %d, want %d", bs, i, len([]rune(exs[i].TextA)), p.Label, want[i])
			}
		}
	}
}

// lengthHead guesses, for each row of a batch, its number of real tokens (mod 15).
type lengthHead struct{}

func (lengthHead) Loss(model.Output, *heads.Batch) (*ts.Tensor, error) {
	return nil, fmt.Errorf("not for training")
}

func (lengthHead) Predict(_ model.Output, b *heads.Batch) ([]heads.Guess, error) {
	shape, err := b.In.InputIDs.Size()
	if err != nil {
		return nil, err
	}
	counts := make([]int64, shape[0])
	if b.In.Mask == nil { // no padding: every row is as long as the batch
		for i := range counts {
			counts[i] = shape[1]
		}
	} else {
		n, err := b.In.Mask.SumDimIntlist([]int64{1}, false, gotch.Int64, false)
		if err != nil {
			return nil, err
		}
		defer tsx.Drop(n)
		if err := n.CopyData(counts, uint(len(counts))); err != nil {
			return nil, err
		}
	}
	var gs []heads.Guess
	for _, v := range counts {
		gs = append(gs, heads.Guess{{Label: int(v) % 15}})
	}
	return gs, nil
}
