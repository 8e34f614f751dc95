package bench

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/optim"
	"github.com/clue-bench/clue-bench/tokenizer"
	"github.com/clue-bench/clue-bench/trainer"
)

// session is everything one cell's training loop needs, built by newSession.
type session struct {
	ctx        context.Context
	cell       plan.Cell
	task       *clue.Task
	kind       heads.Kind
	opts       heads.Options
	tok        *tokenizer.Tokenizer
	m          *trainer.Model
	train, dev split
	device     gotch.Device
	limit      int // cap on optimiser steps (--limit), 0 = none
	progress   cellProgress
	logf       func(format string, a ...any)

	// Filled in by the loop.
	curve            []results.EvalPoint
	best             map[string]float64
	bestPred         []clue.Prediction // dev predictions of the best evaluation
	bestStep         int
	sinceBest        int      // evaluations since the best one
	loss             lossMean // training loss since the last evaluation
	steps            int
	trainDur, evalDr time.Duration
	stepDurs         time.Duration
}

// newSession encodes the cell's train and dev examples for training m.
func newSession(env cellEnv, cell plan.Cell, in *cellInputs, m *trainer.Model) (*session, error) {
	s := &session{ctx: env.ctx, cell: cell, task: in.task, kind: in.kind, opts: headOptions(cell.Hyper), tok: in.tok, m: m,
		device: in.device, limit: env.limit, progress: env.progress, logf: env.logf}
	var err error
	if s.train, err = s.encode(in.ds.Train); err != nil {
		return nil, err
	}
	if s.dev, err = s.encode(in.ds.Dev); err != nil {
		return nil, err
	}
	return s, nil
}

// record copies what the loop measured into res; it runs whether or not training finished.
func (s *session) record(res *results.Result) {
	res.Curve, res.Best, res.Steps = s.curve, s.best, s.steps
	res.Time.TrainS, res.Time.EvalS = s.trainDur.Seconds(), s.evalDr.Seconds()
	if s.steps > 0 {
		res.Time.MeanStepMS = 1000 * s.stepDurs.Seconds() / float64(s.steps)
	}
	if len(s.task.Metrics) > 0 {
		res.Convergence = results.ConvergenceOf(res.Curve, res.Metrics[0])
	}
}

// cellProgress receives per-step and per-eval updates (progress bar or log lines).
type cellProgress interface {
	start(totalSteps int)
	step(done int, loss float64)
	eval(step int, headline string, value float64)
}

// lrAt is the learning rate for the update after `done` steps: linear warm-up over the first
// warmup fraction, then linear decay to zero at the last step (the FL-tuning code's schedule
// with warmup 0).
func lrAt(h plan.Hyper, done, total int) float64 {
	warm := int(h.Warmup * float64(total))
	if done < warm {
		return h.LR * float64(done+1) / float64(warm)
	}
	return h.LR * math.Max(0, float64(total-done)/float64(total-warm))
}

// trainLoop trains, evaluating on dev every evalEvery steps and keeping the best trainable
// weights (by the task's headline metric) in snapshots, restored at the end.
func (s *session) trainLoop() error {
	h := s.cell.Hyper
	perEpoch, total, evalEvery := plan.Schedule(h, s.train.data.Len(), s.limit)
	snap, err := newSnapshot(s.m.Opt.Params())
	if err != nil {
		return err
	}
	defer snap.free()
	s.progress.start(total)
	for epoch := 0; s.steps < total; epoch++ {
		order := order(s.train.data.Len(), true, s.cell.Seed, epoch)
		for at := 0; at < len(order) && s.steps < total; {
			if err := s.ctx.Err(); err != nil {
				return err
			}
			lr := lrAt(h, s.steps, total)
			next, err := s.step(order, at, lr)
			if err != nil {
				return err
			}
			at = next
			if s.steps%evalEvery != 0 && s.steps != total {
				continue
			}
			stop, err := s.evalStep(snap, perEpoch, total, lr)
			if err != nil || stop {
				return err
			}
		}
	}
	return snap.restore()
}

// lossMean is the mean training loss over the micro-batches since the last evaluation.
type lossMean struct {
	sum float64
	n   int
}

func (l *lossMean) mean() float64 { return l.sum / float64(l.n) }

// step takes one optimiser step over the micro-batches of order starting at at, and returns
// where the next step starts.
func (s *session) step(order []int, at int, lr float64) (int, error) {
	h := s.cell.Hyper
	t0 := time.Now()
	n := min(h.Accumulate, (len(order)-at+h.BatchSize-1)/h.BatchSize)
	losses, err := s.m.Step(n, h.Accumulate, func(k int) (*heads.Batch, error) {
		start := at + k*h.BatchSize
		return s.train.data.Batch(order[start:min(start+h.BatchSize, len(order))], s.device)
	}, lr, h.Clip, nil)
	if err != nil {
		return 0, fmt.Errorf("step %d: %w", s.steps+1, err)
	}
	for _, v := range losses {
		s.loss.sum, s.loss.n = s.loss.sum+v, s.loss.n+1
	}
	s.steps++
	dt := time.Since(t0)
	s.trainDur += dt
	s.stepDurs += dt
	s.progress.step(s.steps, s.loss.mean())
	return min(at+n*h.BatchSize, len(order)), nil
}

// evalStep evaluates on dev after a step, records the point, resets the loss mean and keeps
// the best weights. It reports stop when patience ran out, with the best weights restored.
func (s *session) evalStep(snap *snapshot, perEpoch, total int, lr float64) (stop bool, err error) {
	headline := s.task.Metrics[0]
	t1 := time.Now()
	m, pred, err := s.evaluate(s.dev)
	s.evalDr += time.Since(t1)
	if err != nil {
		return false, fmt.Errorf("dev evaluation at step %d: %w", s.steps, err)
	}
	s.curve = append(s.curve, results.EvalPoint{Step: s.steps, Epoch: float64(s.steps) / float64(perEpoch),
		TrainLoss: s.loss.mean(), LR: lr, Dev: m, ElapsedS: s.trainDur.Seconds()})
	s.logf("step %d/%d epoch %.2f loss %.4f lr %.3g dev %s", s.steps, total, float64(s.steps)/float64(perEpoch), s.loss.mean(), lr, fmtMetrics(m))
	s.progress.eval(s.steps, headline.Name, m[headline.Name])
	s.loss = lossMean{}
	if s.best == nil || results.Better(m[headline.Name], s.best[headline.Name], headline.HigherIsBetter) {
		s.best, s.bestPred, s.bestStep, s.sinceBest = m, pred, s.steps, 0
		return false, snap.save()
	}
	s.sinceBest++
	if p := s.cell.Hyper.Patience; p > 0 && s.sinceBest >= p {
		s.logf("early stop: no dev improvement in %d evaluations", s.sinceBest)
		return true, snap.restore()
	}
	return false, nil
}

// snapshot keeps a device copy of the trainable tensors at the best evaluation.
type snapshot struct {
	params []optim.Param
	saved  []*ts.Tensor
}

func newSnapshot(params []optim.Param) (*snapshot, error) {
	s := &snapshot{params: params}
	for _, p := range params {
		z, err := p.Tensor.ZerosLike(false)
		if err != nil {
			s.free()
			return nil, err
		}
		s.saved = append(s.saved, z)
	}
	return s, nil
}

func (s *snapshot) save() error {
	for i, p := range s.params {
		if err := tsx.Copy(s.saved[i], p.Tensor); err != nil {
			return err
		}
	}
	return nil
}

func (s *snapshot) restore() error {
	for i, p := range s.params {
		if err := tsx.Copy(p.Tensor, s.saved[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *snapshot) free() {
	tsx.Drop(s.saved...)
	s.saved = nil
}

func fmtMetrics(m map[string]float64) string {
	s := ""
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s += fmt.Sprintf("%s=%.2f ", k, m[k])
	}
	return s
}
