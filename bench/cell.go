package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"gopkg.in/yaml.v3"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/internal/atomicfile"
	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/tokenizer"
	"github.com/clue-bench/clue-bench/trainer"
)

// cellEnv is what a cell needs from its surroundings.
type cellEnv struct {
	ctx       context.Context
	modelDir  string // resolved backbone directory
	dataDir   string // resolved data directory
	store     *results.Store
	limit     int
	progress  cellProgress
	logf      func(format string, a ...any)
	runtime   torchrt.Info
	provGit   gitInfo
	threadsOn int
	// saveBackbone keeps a fully tuned backbone with the cell's weights (RunOptions.SaveBackbone).
	saveBackbone bool
	// weights, when set, is a kept weights file loaded over the checkpoint (bench predict).
	weights string
}

// runCell trains and evaluates one cell and returns its result. Errors inside the cell become
// a failed result; only errors of the surroundings (context cancelled, a results directory
// that cannot be written) are returned.
func runCell(env cellEnv, cell plan.Cell) (*results.Result, error) {
	start := time.Now()
	res := &results.Result{Cell: cell, Status: results.ResultOK, Log: relPath(env.store.Dir, env.store.LogPath(cell.Key()))}
	resetPeakRSS()
	err := trainCell(env, cell, res)
	res.Time.WallS = time.Since(start).Seconds()
	res.Memory.PeakRSSMiB = peakRSSMiB()
	res.Provenance = provenance(env, cell.Seed, start)
	if err != nil {
		if env.ctx.Err() != nil {
			return nil, env.ctx.Err()
		}
		var se *storeError
		if errors.As(err, &se) {
			return nil, se.err
		}
		// The one place a cell's error becomes text: cut libtorch's C++ backtrace and gotch's Go
		// stack, which any tensor error deep in the cell may still carry.
		res.Status, res.Error = results.ResultFailed, tsx.Trim(err.Error())
		env.logf("FAILED: %s", res.Error)
	}
	return res, nil
}

// trainCell sets a cell up, trains it and predicts its test split, filling res as it goes.
func trainCell(env cellEnv, cell plan.Cell, res *results.Result) error {
	setupStart := time.Now()
	in, err := prepareCell(env, cell, res)
	if err != nil {
		return err
	}
	m, err := buildModel(env, cell, in, res)
	if err != nil {
		return err
	}
	defer m.Close()
	s, err := newSession(env, cell, in, m)
	if err != nil {
		return err
	}
	res.Time.SetupS = time.Since(setupStart).Seconds()
	env.logf("cell %s (%s): %d train / %d dev / %d test; trainable %d of %d (%.3f%%)", cell.Name(), cell.ID, len(in.ds.Train), len(in.ds.Dev), len(in.ds.Test), res.Params.Trainable, res.Params.Total, 100*res.Params.Ratio)
	err = s.trainLoop()
	s.record(res)
	if err != nil {
		return err
	}
	return finishCell(env, cell, in, s, res)
}

// cellInputs is what a cell's model and data are made from, all checked before libtorch
// allocates anything.
type cellInputs struct {
	task   *clue.Task
	kind   heads.Kind
	sel    clue.Selection
	ds     *clue.Dataset
	dir    *model.Dir
	tok    *tokenizer.Tokenizer
	method methods.Method
	device gotch.Device
}

// prepareCell looks up the task and its head kind, loads the data, opens the backbone and
// builds the method, recording the metrics and data sizes in res.
func prepareCell(env cellEnv, cell plan.Cell, res *results.Result) (*cellInputs, error) {
	in := &cellInputs{}
	var err error
	if in.task, err = clue.Lookup(cell.Task); err != nil {
		return nil, err
	}
	if in.kind, err = heads.Lookup(in.task.Kind); err != nil {
		return nil, fmt.Errorf("task %s: %w", in.task.Name, err)
	}
	res.Metrics = make([]results.Metric, len(in.task.Metrics))
	for i, m := range in.task.Metrics {
		res.Metrics[i] = results.Metric{Name: m.Name, HigherIsBetter: m.HigherIsBetter}
	}
	if err := in.loadData(env.dataDir, cell.Split); err != nil {
		return nil, err
	}
	res.Data = results.DataStats{Train: len(in.ds.Train), Dev: len(in.ds.Dev), Test: len(in.ds.Test)}
	if err := in.openModel(env, cell); err != nil {
		return nil, err
	}
	return in, nil
}

// openModel opens the backbone and its tokenizer, checks that the task's inputs fit it, builds
// the cell's method and parses the device: what training and prediction both need once the
// data is read.
func (in *cellInputs) openModel(env cellEnv, cell plan.Cell) error {
	if err := in.openBackbone(env.modelDir, cell.Hyper.MaxLen); err != nil {
		return err
	}
	if err := in.checkTokenTypes(); err != nil {
		return err
	}
	var err error
	if in.method, err = newMethod(cell, in.dir.Config); err != nil {
		return err
	}
	in.device, err = torchrt.ParseDevice(env.runtime.Device)
	return err
}

// loadData reads the task's examples for the cell's split; training needs train and dev.
func (in *cellInputs) loadData(dataDir, split string) error {
	var err error
	if in.sel, err = clue.ParseSelection(split); err != nil {
		return err
	}
	if in.ds, err = clue.Load(in.task, dataDir, in.sel); err != nil {
		return err
	}
	if len(in.ds.Train) == 0 || len(in.ds.Dev) == 0 {
		return fmt.Errorf("task %s split %s: %d train and %d dev examples; need both", in.task.Name, in.sel, len(in.ds.Train), len(in.ds.Dev))
	}
	return nil
}

// openBackbone opens the backbone's directory and tokenizer and checks that maxLen fits it.
func (in *cellInputs) openBackbone(modelDir string, maxLen int) error {
	var err error
	if in.dir, err = model.OpenDir(modelDir); err != nil {
		return err
	}
	if in.tok, err = tokenizer.FromDir(modelDir); err != nil {
		return err
	}
	if int64(maxLen) > in.dir.Config.MaxPositionEmbeddings {
		return fmt.Errorf("max_len %d exceeds the backbone's %d positions", maxLen, in.dir.Config.MaxPositionEmbeddings)
	}
	return nil
}

// checkTokenTypes refuses a backbone whose token-type table cannot take the task's inputs:
// a second text (a pair's, a choice's, a span question's context) is encoded as token type 1,
// and a model with type_vocab_size 1 would fail on it inside libtorch at the first batch.
func (in *cellInputs) checkTokenTypes() error {
	if in.dir.Config.TypeVocabSize >= 2 {
		return nil
	}
	for _, part := range []struct {
		name string
		exs  []clue.Example
	}{{"train", in.ds.Train}, {"dev", in.ds.Dev}, {"test", in.ds.Test}} {
		for _, ex := range part.exs {
			if ex.TextB != "" || len(ex.Choices) > 0 {
				return fmt.Errorf("task %s: %s example at line %d has a second text, which is encoded as token type 1, but %s has type_vocab_size %d",
					in.task.Name, part.name, ex.Line, filepath.Join(in.dir.Path, "config.json"), in.dir.Config.TypeVocabSize)
			}
		}
	}
	return nil
}

// newMethod builds the cell's method from its options and checks it against the backbone.
func newMethod(cell plan.Cell, cfg model.Config) (methods.Method, error) {
	var optsNode yaml.Node
	if err := yaml.Unmarshal(cell.MethodOptions, &optsNode); err != nil {
		return nil, fmt.Errorf("method options: %w", err)
	}
	var on *yaml.Node
	if len(optsNode.Content) > 0 {
		on = optsNode.Content[0]
	}
	method, err := methods.New(cell.Method, on)
	if err != nil {
		return nil, err
	}
	if err := methods.Check(method, cfg); err != nil {
		return nil, err
	}
	if limit := methods.MaxSeqLen(method, cfg); int64(cell.Hyper.MaxLen) > limit {
		return nil, fmt.Errorf("max_len %d exceeds the %d positions %s leaves for tokens with this backbone", cell.Hyper.MaxLen, limit, method.Name())
	}
	return method, nil
}

// headOptions are the cell's settings the task head reads.
func headOptions(h plan.Hyper) heads.Options {
	return heads.Options{MaxLen: h.MaxLen, Pooler: h.Pooler, Dropout: h.HeadDropout}
}

// buildModel assembles the cell's model from the backbone's checkpoint, switches the frozen
// backbone to bf16 if asked, and records the parameter accounting in res.
func buildModel(env cellEnv, cell plan.Cell, in *cellInputs, res *results.Result) (*trainer.Model, error) {
	m, err := trainer.New(trainer.Spec{
		Config: in.dir.Config, Method: in.method, Kind: in.kind, Task: in.task, Head: headOptions(cell.Hyper),
		Device: in.device, Seed: cell.Seed, WeightDecay: cell.Hyper.WeightDecay,
		Load: func(vs *nn.VarStore) error { return loadCheckpoint(env, in.dir, vs) },
	})
	if err != nil {
		return nil, err
	}
	if cell.Hyper.FrozenBF16 {
		// Only a frozen backbone has products to lower; fine-tuning's weights all train.
		if backboneTrains(m.Trainable) {
			env.logf("frozen_bf16: not applied, %s trains the backbone", in.method.Name())
		} else {
			m.Encoder.SetFrozenBF16(true)
			env.logf("frozen_bf16: the frozen backbone's matrix products run in bfloat16")
		}
	}
	if s := methods.SizeOf(in.method, in.dir.Config); s.Budget > 0 {
		// The options name the budget, not the size it solves to on this backbone: log it.
		note := ""
		if s.Reached != nil && !*s.Reached {
			note = "; the budget is out of reach, nearest valid size used"
		}
		env.logf("budget %g: %s = %d, %.2f%% of fine-tuning's trainable parameters%s", s.Budget, s.Knob, s.Value, 100*s.Share, note)
	}
	if err := accountParams(in, m, res); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// loadCheckpoint loads the backbone's weights into vs and logs what did not match.
func loadCheckpoint(env cellEnv, dir *model.Dir, vs *nn.VarStore) error {
	report, err := model.LoadWeights(dir, vs)
	if err != nil {
		return err
	}
	if len(report.Unused) > 0 {
		env.logf("checkpoint tensors not used: %s", abbreviate(report.Unused, 8))
	}
	env.logf("initialised (not in checkpoint): %s", abbreviate(report.Initialised, 8))
	if env.weights != "" {
		if err := model.LoadTrainable(env.weights, vs); err != nil {
			return err
		}
	}
	return nil
}

// accountParams records the method's config-derived parameter counts in res and checks them
// against the variables that actually train.
func accountParams(in *cellInputs, m *trainer.Model, res *results.Result) error {
	counts, err := m.TrainableElements()
	if err != nil {
		return err
	}
	res.Params = paramCounts(in.dir.Config, in.method, counts, in.kind.Params(in.task, in.dir.Config.HiddenSize))
	if want := res.Params.TrainableBackbone + res.Params.Head; counts != want {
		return fmt.Errorf("parameter accounting: %s says %d trainable (backbone %d + head %d) but %d are marked trainable", in.method.Name(), want, res.Params.TrainableBackbone, res.Params.Head, counts)
	}
	return nil
}

// finishCell flags a collapsed model, keeps the weights and the per-example dev statistics of
// the best evaluation, and writes the test split's predictions (and scores them where the
// split is labelled).
func finishCell(env cellEnv, cell plan.Cell, in *cellInputs, s *session, res *results.Result) error {
	// Flag a model that predicts one class for the whole dev set (P-tuning v2's known
	// majority-class collapse): accuracy alone hides it. The best evaluation's predictions are
	// those of the restored snapshot, so dev is not predicted again.
	t1 := time.Now()
	if collapsed(s.bestPred, in.ds.Dev) {
		res.Flags = append(res.Flags, "majority-class")
		env.logf("warning: the best model predicts a single class on dev")
	}
	keepWeights(env, cell, in, s.m, res)
	keepDevStats(env, cell, in, s.bestPred, res)
	if len(in.ds.Test) > 0 {
		path := filepath.Join(env.store.PredDir(cell.Key()), in.task.SubmissionFile(in.sel))
		test, err := predictTest(s, in, path)
		if err != nil {
			return err
		}
		res.Predictions, res.Test = relPath(env.store.Dir, path), test
	}
	res.Time.EvalS += time.Since(t1).Seconds()
	return nil
}

// predictTest predicts the test split with the restored best weights and writes the
// submission file. It returns the test metrics where the split is labelled (FewCLUE's
// test_public.json), scored from the same predictions, and nil otherwise.
func predictTest(s *session, in *cellInputs, path string) (map[string]float64, error) {
	test, err := s.encode(in.ds.Test)
	if err != nil {
		return nil, err
	}
	metrics, pred, err := s.evaluate(test)
	if err != nil {
		return nil, fmt.Errorf("test prediction: %w", err)
	}
	return metrics, writeSubmission(path, in.task, in.ds.Test, pred)
}

// backboneTrains reports whether any of the encoder's own weights (not a method's additions,
// which live outside the encoder's namespace) is trained.
func backboneTrains(trainable []string) bool {
	for _, name := range trainable {
		if model.IsEncoderVar(name) {
			return true
		}
	}
	return false
}

// paramCounts is the method's config-derived accounting, with the head.
func paramCounts(cfg model.Config, m methods.Method, trainable, head int64) results.Params {
	c := methods.Count(cfg, m, head)
	return results.Params{Trainable: trainable, TrainableBackbone: c.TrainableBackbone, Head: head, Total: c.Total, Ratio: float64(trainable) / float64(c.Total), RatioEncoderLayers: c.RatioEncoderLayers}
}

// collapsed reports whether every prediction has the same label while gold has several. Only
// labels count: kinds without one (NER) never collapse in this sense.
func collapsed(pred []clue.Prediction, gold []clue.Example) bool {
	if len(pred) < 2 {
		return false
	}
	classes := map[int]bool{}
	for _, g := range gold {
		if g.Label >= 0 {
			classes[g.Label] = true
		}
	}
	for _, p := range pred[1:] {
		if p.Label != pred[0].Label {
			return false
		}
	}
	return len(classes) > 1
}

// storeError is a failure to write into the results directory (a full disk): the cell did
// not fail, so it is not recorded as failed, and a rerun with room runs it.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

func writeSubmission(path string, task *clue.Task, exs []clue.Example, pred []clue.Prediction) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return &storeError{err}
	}
	ids := make([]string, len(exs))
	for i, ex := range exs {
		ids[i] = ex.ID
	}
	clue.Resolve(task, exs, pred) // joint decisions (CHID's assignment) are what gets submitted
	var sb strings.Builder
	if err := clue.WritePredictions(&sb, task, ids, pred); err != nil {
		return err
	}
	if err := atomicfile.Write(path, []byte(sb.String())); err != nil {
		return &storeError{err}
	}
	return nil
}

func abbreviate(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return strings.Join(xs[:n], ", ") + fmt.Sprintf(" … (%d more)", len(xs)-n)
}

func relPath(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return r
	}
	return p
}
