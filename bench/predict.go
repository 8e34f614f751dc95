package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/model"
)

// PredictOptions controls Predict.
type PredictOptions struct {
	// From is a cell's result (RESULTS/cells/KEY.json) or its weights file (KEY.safetensors).
	From string
	// ModelDir is the backbone's directory; empty takes the one the weights file records.
	ModelDir string
	DataDir  string
	Split    string // test (default) or dev
	Out      string // directory for the submission file
	Device   string
	Threads  int
	Stderr   io.Writer
}

// Prediction is what Predict wrote.
type Prediction struct {
	Cell    plan.Cell
	Path    string             // the submission file
	N       int                // examples predicted
	Metrics map[string]float64 // dev only, when the split is labelled
}

// WeightsFile resolves from (a result JSON or a weights file) to the weights file.
func WeightsFile(from string) (string, error) {
	if !strings.HasSuffix(from, ".json") {
		return from, nil
	}
	raw, err := os.ReadFile(from)
	if err != nil {
		return "", fmt.Errorf("predict: %w", err)
	}
	var r results.Result
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", fmt.Errorf("predict: %s: %w", from, err)
	}
	if r.Weights == "" {
		return "", fmt.Errorf("predict: %s records no weights file (status %s; cells kept none before this version)", from, r.Status)
	}
	// Paths in a result are relative to the results directory, the parent of cells/.
	return filepath.Join(filepath.Dir(filepath.Dir(from)), r.Weights), nil
}

// ReadWeightsMeta reads and checks the metadata of a kept weights file and returns it with the
// cell it belongs to.
func ReadWeightsMeta(path string) (map[string]string, plan.Cell, error) {
	var cell plan.Cell
	meta, err := model.ReadSafetensorsMeta(path)
	if err != nil {
		return nil, cell, err
	}
	if meta[MetaSchema] != weightsSchema {
		return nil, cell, fmt.Errorf("%s: not a cell's weights file (metadata %s is %q, want %q)", path, MetaSchema, meta[MetaSchema], weightsSchema)
	}
	if err := json.Unmarshal([]byte(meta[MetaCell]), &cell); err != nil {
		return nil, cell, fmt.Errorf("%s: metadata %s: %w", path, MetaCell, err)
	}
	return meta, cell, nil
}

// Predict rebuilds a cell's model from its backbone and kept weights and predicts a split of
// the data without training, writing the CLUE submission file as the cell's run writes it.
// A backbone whose fingerprint differs from the recorded one is refused.
func Predict(ctx context.Context, o PredictOptions) (*Prediction, error) {
	weights, err := WeightsFile(o.From)
	if err != nil {
		return nil, err
	}
	meta, cell, err := ReadWeightsMeta(weights)
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	if meta[MetaContents] == ContentsHeadOnly {
		return nil, fmt.Errorf("predict: %s holds %s's head only: %s trains the backbone, which was not saved (rerun the cell with bench run --save-backbone)", weights, cell.Method, cell.Method)
	}
	split := o.Split
	if split == "" {
		split = "test"
	}
	if split != "test" && split != "dev" {
		return nil, fmt.Errorf("predict: split %q: want test or dev", split)
	}
	modelDir := o.ModelDir
	if modelDir == "" {
		modelDir = meta[MetaBackbone]
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	threads, info, err := startTorch(o.Threads, o.Device)
	if err != nil {
		return nil, err
	}
	stderr := o.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	env := cellEnv{ctx: ctx, modelDir: modelDir, dataDir: o.DataDir, logf: logf, runtime: info, threadsOn: threads, weights: weights}
	in, err := preparePredict(env, cell, split)
	if err != nil {
		return nil, fmt.Errorf("predict %s: %w", cell.Name(), err)
	}
	if fp, err := BackboneFingerprint(in.dir); err != nil {
		return nil, err
	} else if fp != meta[MetaFingerprint] {
		return nil, fmt.Errorf("predict: backbone %s (%s) is not the one %s was trained on: %s (%s)", in.dir.Path, fp, weights, meta[MetaBackbone], meta[MetaFingerprint])
	}
	m, err := buildModel(env, cell, in, &results.Result{})
	if err != nil {
		return nil, fmt.Errorf("predict %s: %w", cell.Name(), err)
	}
	defer m.Close()
	s := &session{ctx: ctx, cell: cell, task: in.task, kind: in.kind, opts: headOptions(cell.Hyper), tok: in.tok, m: m,
		device: in.device, progress: nil, logf: logf}
	exs := in.ds.Test
	if split == "dev" {
		exs = in.ds.Dev
	}
	if len(exs) == 0 {
		return nil, fmt.Errorf("predict %s: the data in %s has no %s examples", cell.Name(), o.DataDir, split)
	}
	sp, err := s.encode(exs)
	if err != nil {
		return nil, fmt.Errorf("predict %s: %w", cell.Name(), err)
	}
	metrics, pred, err := s.evaluate(sp)
	if err != nil {
		return nil, fmt.Errorf("predict %s: %s: %w", cell.Name(), split, err)
	}
	name := in.task.SubmissionFile(in.sel)
	if split == "dev" {
		name = "dev_" + name
	}
	path := filepath.Join(o.Out, name)
	if err := writeSubmission(path, in.task, exs, pred); err != nil {
		var se *storeError
		if errors.As(err, &se) {
			err = se.err
		}
		return nil, fmt.Errorf("predict %s: %w", cell.Name(), err)
	}
	return &Prediction{Cell: cell, Path: path, N: len(exs), Metrics: metrics}, nil
}

// preparePredict is prepareCell for a split to predict: the data need not have a train split.
func preparePredict(env cellEnv, cell plan.Cell, split string) (*cellInputs, error) {
	in := &cellInputs{}
	var err error
	if in.task, err = clue.Lookup(cell.Task); err != nil {
		return nil, err
	}
	if in.kind, err = heads.Lookup(in.task.Kind); err != nil {
		return nil, fmt.Errorf("task %s: %w", in.task.Name, err)
	}
	if in.sel, err = clue.ParseSelection(cell.Split); err != nil {
		return nil, err
	}
	if in.ds, err = clue.Load(in.task, env.dataDir, in.sel); err != nil {
		return nil, err
	}
	if err := in.openModel(env, cell); err != nil {
		return nil, err
	}
	return in, nil
}
