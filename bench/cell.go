package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sugarme/gotch/nn"
	"gopkg.in/yaml.v3"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/optim"
	"github.com/clue-bench/clue-bench/tokenizer"
)

// cellEnv is what a cell needs from its surroundings.
type cellEnv struct {
	ctx       context.Context
	modelDir  string // resolved backbone directory
	dataDir   string // resolved data directory
	store     *Store
	limit     int
	progress  cellProgress
	logf      func(format string, a ...any)
	runtime   torchrt.Info
	provGit   gitInfo
	threadsOn int
}

// runCell trains and evaluates one cell and returns its result. Errors inside the cell become
// a failed result; only errors of the surroundings (context cancelled) are returned.
func runCell(env cellEnv, cell Cell) (*Result, error) {
	start := time.Now()
	res := &Result{Cell: cell, Status: ResultOK, Log: relPath(env.store.Dir, env.store.LogPath(cell.Key()))}
	resetPeakRSS()
	err := trainCell(env, cell, res)
	res.Time.WallS = time.Since(start).Seconds()
	res.Memory.PeakRSSMiB = peakRSSMiB()
	res.Provenance = provenance(env, cell.Seed, start)
	if err != nil {
		if env.ctx.Err() != nil {
			return nil, env.ctx.Err()
		}
		res.Status, res.Error = ResultFailed, err.Error()
		env.logf("FAILED: %v", err)
	}
	return res, nil
}

func trainCell(env cellEnv, cell Cell, res *Result) error {
	setupStart := time.Now()
	task, err := clue.Lookup(cell.Task)
	if err != nil {
		return err
	}
	kind, err := heads.Lookup(task.Kind)
	if err != nil {
		return fmt.Errorf("task %s: %w", task.Name, err)
	}
	res.Metrics = make([]Metric, len(task.Metrics))
	for i, m := range task.Metrics {
		res.Metrics[i] = Metric{Name: m.Name, HigherIsBetter: m.HigherIsBetter}
	}
	sel, err := clue.ParseSelection(cell.Split)
	if err != nil {
		return err
	}
	ds, err := clue.Load(task, env.dataDir, sel)
	if err != nil {
		return err
	}
	if len(ds.Train) == 0 || len(ds.Dev) == 0 {
		return fmt.Errorf("task %s split %s: %d train and %d dev examples; need both", task.Name, sel, len(ds.Train), len(ds.Dev))
	}
	res.Data = DataStats{Train: len(ds.Train), Dev: len(ds.Dev), Test: len(ds.Test)}
	dir, err := model.OpenDir(env.modelDir)
	if err != nil {
		return err
	}
	tok, err := tokenizer.FromDir(env.modelDir)
	if err != nil {
		return err
	}
	if int64(cell.Hyper.MaxLen) > dir.Config.MaxPositionEmbeddings {
		return fmt.Errorf("max_len %d exceeds the backbone's %d positions", cell.Hyper.MaxLen, dir.Config.MaxPositionEmbeddings)
	}
	var optsNode yaml.Node
	if err := yaml.Unmarshal(cell.MethodOptions, &optsNode); err != nil {
		return fmt.Errorf("method options: %w", err)
	}
	var on *yaml.Node
	if len(optsNode.Content) > 0 {
		on = optsNode.Content[0]
	}
	method, err := methods.New(cell.Method, on)
	if err != nil {
		return err
	}
	if err := methods.Check(method, dir.Config); err != nil {
		return err
	}
	if limit := methods.MaxSeqLen(method, dir.Config); int64(cell.Hyper.MaxLen) > limit {
		return fmt.Errorf("max_len %d exceeds the %d positions %s leaves for tokens with this backbone", cell.Hyper.MaxLen, limit, method.Name())
	}

	device, err := torchrt.ParseDevice(env.runtime.Device)
	if err != nil {
		return err
	}
	torchrt.ManualSeed(cell.Seed)
	vs := nn.NewVarStore(device)
	defer vs.Destroy()
	enc, err := model.NewEncoder(vs.Root().Sub("bert"), dir.Config)
	if err != nil {
		return err
	}
	if err := method.Attach(vs.Root().Sub(method.Name()), enc); err != nil {
		return fmt.Errorf("attach %s: %w", method.Name(), err)
	}
	opts := heads.Options{MaxLen: cell.Hyper.MaxLen, Pooler: cell.Hyper.Pooler, Dropout: cell.Hyper.HeadDropout}
	head, err := kind.NewHead(vs.Root().Sub(kind.Prefix()), task, dir.Config.HiddenSize, opts)
	if err != nil {
		return err
	}
	report, err := model.LoadWeights(dir, vs)
	if err != nil {
		return err
	}
	if len(report.Unused) > 0 {
		env.logf("checkpoint tensors not used: %s", abbreviate(report.Unused, 8))
	}
	env.logf("initialised (not in checkpoint): %s", abbreviate(report.Initialised, 8))
	trainable, _, err := model.SetTrainable(vs, func(name string) bool {
		return strings.HasPrefix(name, kind.Prefix()+".") || method.Trains(name)
	})
	if err != nil {
		return err
	}
	if cell.Hyper.FrozenBF16 {
		// Only a frozen backbone has products to lower; fine-tuning's weights all train.
		if backboneTrains(trainable) {
			env.logf("frozen_bf16: not applied, %s trains the backbone", method.Name())
		} else {
			enc.SetFrozenBF16(true)
			env.logf("frozen_bf16: the frozen backbone's matrix products run in bfloat16")
		}
	}
	params, counts := collectParams(vs, trainable)
	res.Params = paramCounts(dir.Config, method, counts, kind.Params(task, dir.Config.HiddenSize))
	if want := res.Params.TrainableBackbone + res.Params.Head; counts != want {
		return fmt.Errorf("parameter accounting: %s says %d trainable (backbone %d + head %d) but %d are marked trainable", method.Name(), want, res.Params.TrainableBackbone, res.Params.Head, counts)
	}
	opt := optim.NewAdamW(params, cell.Hyper.WeightDecay)
	defer opt.Close()

	s := &session{ctx: env.ctx, cell: cell, task: task, kind: kind, opts: opts, tok: tok, enc: enc, head: head, opt: opt,
		device: device, limit: env.limit, progress: env.progress, logf: env.logf}
	if s.train, err = s.encode(ds.Train); err != nil {
		return err
	}
	if s.dev, err = s.encode(ds.Dev); err != nil {
		return err
	}
	res.Time.SetupS = time.Since(setupStart).Seconds()
	env.logf("cell %s (%s): %d train / %d dev / %d test; trainable %d of %d (%.3f%%)", cell.Name(), cell.ID, len(ds.Train), len(ds.Dev), len(ds.Test), res.Params.Trainable, res.Params.Total, 100*res.Params.Ratio)
	err = s.trainLoop()
	res.Curve, res.Best, res.Steps = s.curve, s.best, s.steps
	res.Time.TrainS, res.Time.EvalS = s.trainDur.Seconds(), s.evalDr.Seconds()
	if s.steps > 0 {
		res.Time.MeanStepMS = 1000 * s.stepDurs.Seconds() / float64(s.steps)
	}
	if len(task.Metrics) > 0 {
		res.Convergence = ConvergenceOf(res.Curve, res.Metrics[0])
	}
	if err != nil {
		return err
	}
	// Flag a model that predicts one class for the whole dev set (P-tuning v2's known
	// majority-class collapse): accuracy alone hides it. The best evaluation's predictions are
	// those of the restored snapshot, so dev is not predicted again.
	t1 := time.Now()
	if collapsed(s.bestPred, ds.Dev) {
		res.Flags = append(res.Flags, "majority-class")
		env.logf("warning: the best model predicts a single class on dev")
	}
	if len(ds.Test) > 0 {
		test, err := s.encode(ds.Test)
		if err != nil {
			return err
		}
		_, pred, err := s.evaluate(test)
		if err != nil {
			return fmt.Errorf("test prediction: %w", err)
		}
		path := filepath.Join(env.store.PredDir(cell.Key()), task.SubmissionFile(sel))
		if err := writeSubmission(path, task, ds.Test, pred); err != nil {
			return err
		}
		res.Predictions = relPath(env.store.Dir, path)
	}
	res.Time.EvalS += time.Since(t1).Seconds()
	return nil
}

// collected parameter tensors and the trainable count.
func collectParams(vs *nn.VarStore, trainable []string) ([]optim.Param, int64) {
	vars := vs.Variables()
	var params []optim.Param
	var n int64
	for _, name := range trainable {
		t := vars[name]
		tt := t
		params = append(params, optim.Param{Name: name, Tensor: &tt, Decay: decays(name)})
		n += numel(tt.MustSize())
	}
	return params, n
}

// backboneTrains reports whether any of the encoder's own weights (not a method's additions,
// which live outside "bert.") is trained.
func backboneTrains(trainable []string) bool {
	for _, name := range trainable {
		if strings.HasPrefix(name, "bert.") {
			return true
		}
	}
	return false
}

// decays reports whether weight decay applies: not to biases and LayerNorm parameters.
func decays(name string) bool {
	return !(strings.HasSuffix(name, ".bias") || strings.Contains(name, "LayerNorm"))
}

func numel(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}

// paramCounts is the method's config-derived accounting, with the head.
func paramCounts(cfg model.Config, m methods.Method, trainable, head int64) Params {
	c := methods.Count(cfg, m, head)
	return Params{Trainable: trainable, TrainableBackbone: c.TrainableBackbone, Head: head, Total: c.Total, Ratio: float64(trainable) / float64(c.Total), RatioEncoderLayers: c.RatioEncoderLayers}
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

func writeSubmission(path string, task *clue.Task, exs []clue.Example, pred []clue.Prediction) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
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
	return WriteFileAtomic(path, []byte(sb.String()))
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
