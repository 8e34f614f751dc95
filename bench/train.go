package bench

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/model"
	"github.com/clue-bench/clue-bench/optim"
	"github.com/clue-bench/clue-bench/tokenizer"
)

// session is everything one cell's training loop needs, built by runCell.
type session struct {
	ctx        context.Context
	cell       Cell
	task       *clue.Task
	kind       heads.Kind
	opts       heads.Options
	tok        *tokenizer.Tokenizer
	enc        *model.Encoder
	head       heads.Head
	opt        *optim.AdamW
	train, dev split
	device     gotch.Device
	limit      int // cap on optimiser steps (--limit), 0 = none
	progress   cellProgress
	logf       func(format string, a ...any)

	// Filled in by the loop.
	curve            []EvalPoint
	best             map[string]float64
	bestPred         []clue.Prediction // dev predictions of the best evaluation
	bestStep         int
	steps            int
	trainDur, evalDr time.Duration
	stepDurs         time.Duration
}

// cellProgress receives per-step and per-eval updates (progress bar or log lines).
type cellProgress interface {
	start(totalSteps int)
	step(done int, loss float64)
	eval(step int, headline string, value float64)
}

// plan returns optimiser steps per epoch, total steps and steps between evaluations.
func plan(h Hyper, nTrain, limit int) (perEpoch, total, evalEvery int) {
	micro := (nTrain + h.BatchSize - 1) / h.BatchSize
	perEpoch = (micro + h.Accumulate - 1) / h.Accumulate
	if perEpoch < 1 {
		perEpoch = 1
	}
	total = h.MaxSteps
	if total == 0 {
		total = int(math.Ceil(h.Epochs * float64(perEpoch)))
	}
	if limit > 0 && limit < total {
		total = limit
	}
	evalEvery = h.EvalEvery
	if evalEvery == 0 {
		evalEvery = perEpoch
	}
	return perEpoch, total, evalEvery
}

// lrAt is the learning rate for the update after `done` steps: linear warm-up over the first
// warmup fraction, then linear decay to zero at the last step (the FL-tuning code's schedule
// with warmup 0).
func lrAt(h Hyper, done, total int) float64 {
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
	perEpoch, total, evalEvery := plan(h, s.train.data.Len(), s.limit)
	headline := s.task.Metrics[0]
	snap, err := newSnapshot(s.opt.Params())
	if err != nil {
		return err
	}
	defer snap.free()
	s.progress.start(total)
	lossSum, lossN, sinceBest := 0.0, 0, 0
	for epoch := 0; s.steps < total; epoch++ {
		order := order(s.train.data.Len(), true, s.cell.Seed, epoch)
		for at := 0; at < len(order) && s.steps < total; {
			if err := s.ctx.Err(); err != nil {
				return err
			}
			t0 := time.Now()
			for k := 0; k < h.Accumulate && at < len(order); k++ {
				end := min(at+h.BatchSize, len(order))
				loss, err := s.microStep(order[at:end], float64(h.Accumulate))
				if err != nil {
					return fmt.Errorf("step %d: %w", s.steps+1, err)
				}
				if math.IsNaN(loss) || math.IsInf(loss, 0) {
					return fmt.Errorf("diverged: training loss is %v at step %d", loss, s.steps+1)
				}
				lossSum, lossN, at = lossSum+loss, lossN+1, end
			}
			if h.Clip > 0 {
				if _, err := optim.ClipGradNorm(s.opt.Params(), h.Clip); err != nil {
					return fmt.Errorf("diverged at step %d: %w", s.steps+1, err)
				}
			}
			lr := lrAt(h, s.steps, total)
			if err := s.opt.Step(lr); err != nil {
				return err
			}
			if err := s.opt.ZeroGrad(); err != nil {
				return err
			}
			s.steps++
			dt := time.Since(t0)
			s.trainDur += dt
			s.stepDurs += dt
			s.progress.step(s.steps, lossSum/float64(lossN))
			if s.steps%evalEvery != 0 && s.steps != total {
				continue
			}
			t1 := time.Now()
			m, pred, err := s.evaluate(s.dev)
			s.evalDr += time.Since(t1)
			if err != nil {
				return fmt.Errorf("dev evaluation at step %d: %w", s.steps, err)
			}
			s.curve = append(s.curve, EvalPoint{Step: s.steps, Epoch: float64(s.steps) / float64(perEpoch),
				TrainLoss: lossSum / float64(lossN), LR: lr, Dev: m, ElapsedS: s.trainDur.Seconds()})
			s.logf("step %d/%d epoch %.2f loss %.4f lr %.3g dev %s", s.steps, total, float64(s.steps)/float64(perEpoch), lossSum/float64(lossN), lr, fmtMetrics(m))
			s.progress.eval(s.steps, headline.Name, m[headline.Name])
			lossSum, lossN = 0, 0
			if s.best == nil || better(m[headline.Name], s.best[headline.Name], headline.HigherIsBetter) {
				s.best, s.bestPred, s.bestStep, sinceBest = m, pred, s.steps, 0
				if err := snap.save(); err != nil {
					return err
				}
			} else if sinceBest++; h.Patience > 0 && sinceBest >= h.Patience {
				s.logf("early stop: no dev improvement in %d evaluations", sinceBest)
				return snap.restore()
			}
		}
	}
	return snap.restore()
}

// microStep runs forward and backward on one micro-batch; the loss is divided by accum so
// that accumulated gradients equal those of one large batch. Returns the unscaled loss.
func (s *session) microStep(idx []int, accum float64) (float64, error) {
	b, err := s.train.data.Batch(idx, s.device)
	if err != nil {
		return 0, err
	}
	defer b.Drop()
	out, err := s.enc.Forward(b.In, true)
	if err != nil {
		return 0, err
	}
	defer out.Hidden.MustDrop()
	defer out.Pooled.MustDrop()
	loss, err := s.head.Loss(out, b)
	if err != nil {
		return 0, err
	}
	defer loss.MustDrop()
	v, err := loss.Float64Value([]int64{})
	if err != nil {
		return 0, err
	}
	if accum != 1 {
		sc := ts.FloatScalar(1 / accum)
		scaled, err := loss.MulScalar(sc, false)
		sc.MustDrop()
		if err != nil {
			return 0, err
		}
		defer scaled.MustDrop()
		return v, scaled.Backward()
	}
	return v, loss.Backward()
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
	for _, t := range s.saved {
		t.MustDrop()
	}
	s.saved = nil
}

func fmtMetrics(m map[string]float64) string {
	s := ""
	for _, k := range sortedKeys(m) {
		s += fmt.Sprintf("%s=%.2f ", k, m[k])
	}
	return s
}

// EstimateSteps is the number of optimiser steps a cell will take on nTrain training units.
// Units are examples, except for span extraction, whose sliding windows outnumber the
// questions: an estimate from the question count is low there.
func EstimateSteps(h Hyper, nTrain int) int {
	_, total, _ := plan(h, nTrain, 0)
	return total
}
