package bench

import (
	"context"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
)

// Each cell runs on its own backbone's directory: here one backbone's directory holds the
// tiny model and the other's is missing, so that the one cell runs and the other fails.
func TestRunOpensEachCellsBackbone(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny models")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	modelDir, dataDir := t.TempDir(), t.TempDir()
	writeTinyModel(t, modelDir)
	writeTinyAFQMC(t, dataDir, 3)
	var cells []plan.Cell
	for _, name := range []string{"good", "gone"} {
		c := tinyCells(t, "fine-tuning")[0]
		c.Hyper.MaxSteps = 2
		c.BackboneName = name
		c.ID = c.ContentID()
		cells = append(cells, c)
	}
	out := t.TempDir()
	gone := filepath.Join(t.TempDir(), "no-such-model")
	o := RunOptions{Cells: cells, Out: out, ModelDirs: map[string]string{"good": modelDir, "gone": gone},
		DataDir: dataDir, Device: "cpu", Threads: 1, Stderr: io.Discard}
	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ran != 2 || sum.Failed != 1 {
		t.Fatalf("summary %+v", sum)
	}
	st := &results.Store{Dir: out}
	if s, r := results.CellStatus(st, cells[0]); s != results.StatusDone || r.Cell.Key() != "good__afqmc__fine-tuning__full__s7" {
		t.Errorf("cell on the model: %s", s)
	}
	if s, r := results.CellStatus(st, cells[1]); s != results.StatusFailed || !strings.Contains(r.Error, "no-such-model") {
		t.Errorf("cell on the missing directory: %s %+v", s, r)
	}
	// A backbone the options have no directory for stops the run before any cell starts.
	o.ModelDirs = map[string]string{"good": modelDir}
	o.Force = true
	if sum, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), `no directory for backbone "gone"`) || sum.Ran != 0 {
		t.Errorf("error %v, summary %+v", err, sum)
	}
}

// RunCell gives the directory Resolve returns to the cell's own backbone.
func TestRunCellResolvesNamedBackbone(t *testing.T) {
	if testing.Short() {
		t.Skip("trains tiny models")
	}
	modelDir, dataDir := t.TempDir(), t.TempDir()
	writeTinyModel(t, modelDir)
	writeTinyAFQMC(t, dataDir, 4)
	c := tinyCells(t, "fine-tuning")[0]
	c.Hyper.MaxSteps = 2
	c.BackboneName = "nezha"
	c.ID = c.ContentID()
	out := t.TempDir()
	outcome, r, err := RunCell(context.Background(), CellOptions{Cell: c,
		Run:     RunOptions{Out: out, Device: "cpu", Threads: 1, Stderr: io.Discard},
		Resolve: func(context.Context) (string, string, error) { return modelDir, dataDir, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if outcome != CellRan || r.Status != results.ResultOK || r.Cell.BackboneName != "nezha" {
		t.Errorf("outcome %d, result %+v", outcome, r)
	}
}
