package heads

import (
	"runtime"
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
	if _, err := Lookup("tagging"); err == nil || !strings.Contains(err.Error(), "known: choice, classification, ner") {
		t.Errorf("unknown kind: err = %v", err)
	}
}

func TestHeadParamsMatchVariables(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	afqmc, c3 := lookupTask(t, "afqmc"), lookupTask(t, "c3")
	for _, tc := range []struct {
		task   *clue.Task
		hidden int64
		want   int64
	}{
		{afqmc, 32, 2*32 + 2},
		{cluener(t), 32, 10*2*64*32 + 10*2*64},
		{cluener(t), 768, 984320},
		{c3, 32, 32 + 1},
		{lookupTask(t, "cmrc2018"), 32, 2*32 + 2},
	} {
		kind, err := Lookup(tc.task.Kind)
		if err != nil {
			t.Fatal(err)
		}
		vs := nn.NewVarStore(gotch.CPU)
		if _, err := kind.NewHead(vs.Root().Sub(kind.Prefix()), tc.task, tc.hidden, Options{}); err != nil {
			t.Fatal(err)
		}
		var n int64
		for name, v := range vs.Variables() {
			if len(name) <= len(kind.Prefix()) || name[:len(kind.Prefix())+1] != kind.Prefix()+"." {
				t.Errorf("%s: variable %s outside the prefix %s", tc.task.Name, name, kind.Prefix())
			}
			n += int64(v.Numel())
		}
		vs.Destroy()
		if n != tc.want || kind.Params(tc.task, tc.hidden) != tc.want {
			t.Errorf("%s, H=%d: %d variables, Params %d, want %d", tc.task.Name, tc.hidden, n, kind.Params(tc.task, tc.hidden), tc.want)
		}
	}
}
