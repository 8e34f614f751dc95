package heads

import (
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/clue-bench/clue-bench/clue"
)

func lookupTask(t *testing.T, name string) *clue.Task {
	t.Helper()
	task, err := clue.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestEveryTaskKindHasAHead(t *testing.T) {
	for _, name := range clue.Names() {
		task, _ := clue.Lookup(name)
		if _, err := Lookup(task.Kind); err != nil {
			t.Errorf("task %s: %v", name, err)
		}
	}
	if _, err := Lookup("tagging"); err == nil || !strings.Contains(err.Error(), "known: "+strings.Join(Names(), ", ")) {
		t.Errorf("unknown kind: err = %v", err)
	}
}

// TestHeadParamsMatchVariables builds the head of every registered task: its variables lie
// under the kind's prefix and Params counts exactly them. A few tasks also have their exact
// counts pinned.
func TestHeadParamsMatchVariables(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pinned := map[string]map[int64]int64{ // task → hidden size → parameters
		"afqmc":    {32: 2*32 + 2},
		"cluener":  {32: 10*2*64*32 + 10*2*64, 768: 984320},
		"c3":       {32: 32 + 1},
		"cmrc2018": {32: 2*32 + 2},
	}
	for _, name := range clue.Names() {
		task := lookupTask(t, name)
		for _, hidden := range []int64{32, 768} {
			want, pin := pinned[name][hidden]
			if hidden != 32 && !pin {
				continue
			}
			kind, err := Lookup(task.Kind)
			if err != nil {
				t.Fatal(err)
			}
			vs := nn.NewVarStore(gotch.CPU)
			if _, err := kind.NewHead(vs.Root().Sub(kind.Prefix()), task, hidden, Options{}); err != nil {
				t.Fatal(err)
			}
			var n int64
			for vname, v := range vs.Variables() {
				if len(vname) <= len(kind.Prefix()) || vname[:len(kind.Prefix())+1] != kind.Prefix()+"." {
					t.Errorf("%s: variable %s outside the prefix %s", task.Name, vname, kind.Prefix())
				}
				n += int64(v.Numel())
			}
			vs.Destroy()
			if p := kind.Params(task, hidden); n != p {
				t.Errorf("%s, H=%d: %d variables, Params %d", task.Name, hidden, n, p)
			}
			if pin && n != want {
				t.Errorf("%s, H=%d: %d variables, want %d", task.Name, hidden, n, want)
			}
		}
	}
	for name := range pinned {
		lookupTask(t, name)
	}
}

// TestPadRowsMask checks the batches' attention mask: 1 for real tokens and 0 for padding when
// some row is shorter than the longest, and none at all (model.Batch's "no padding") when every
// row has the longest length.
func TestPadRowsMask(t *testing.T) {
	r := &rows{ids: [][]int64{{5, 6, 7}, {8, 9}, {4, 3, 2}}, types: [][]int64{{0, 0, 1}, {0, 1}, {0, 0, 0}}}
	for _, c := range []struct {
		name string
		idx  []int
		ids  []int64
		mask []int64 // nil: no mask
	}{
		{"padded", []int{0, 1}, []int64{5, 6, 7, 8, 9, 0}, []int64{1, 1, 1, 1, 1, 0}},
		{"full", []int{0, 2}, []int64{5, 6, 7, 4, 3, 2}, nil},
		{"one row", []int{1}, []int64{8, 9}, nil},
	} {
		var b Batch
		n, err := r.padRows(c.idx, 0, gotch.CPU, &b)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := b.In.InputIDs.Int64Values(false); n != len(c.ids)/len(c.idx) || !slices.Equal(got, c.ids) {
			t.Errorf("%s: length %d, ids %v; want %v", c.name, n, got, c.ids)
		}
		switch {
		case c.mask == nil && b.In.Mask != nil:
			t.Errorf("%s: mask %v, want none", c.name, b.In.Mask.Int64Values(false))
		case c.mask != nil && b.In.Mask == nil:
			t.Errorf("%s: no mask, want %v", c.name, c.mask)
		case c.mask != nil && !slices.Equal(b.In.Mask.Int64Values(false), c.mask):
			t.Errorf("%s: mask %v, want %v", c.name, b.In.Mask.Int64Values(false), c.mask)
		}
		b.Drop()
	}
}
