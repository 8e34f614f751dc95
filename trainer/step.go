package trainer

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/heads"
	"github.com/clue-bench/clue-bench/internal/torchrt"
	"github.com/clue-bench/clue-bench/internal/tsx"
	"github.com/clue-bench/clue-bench/optim"
)

// ErrDiverged marks a step whose training loss or gradient norm is not finite, or whose loss
// has grown far past where training started (see divergeFactor).
var ErrDiverged = errors.New("diverged")

// A step diverged when the mean loss of its micro-batches exceeds divergeFactor times the
// first step's mean loss, taken as at least lossFloor. The first step's loss is the model's
// before any update, whatever the learning rate or schedule, so the rule reads "training made
// the model a hundred times worse than where it started". In the built-in suite's results (a
// full run of its 48 cells, and a smoke run) the first evaluation's training loss is 0.68–6.1
// and no later evaluation's exceeds it by more than 12%, nor exceeds 0.8 once the reference is
// floored at 1; an FL-tuning cell at lr 1e3 went from about 3 to 3.8e9. The floor keeps a
// small first loss (a head loaded already trained) from turning an ordinary loss of a few
// units into divergence: a mean loss of 100 is beyond anything a working classification, span
// or NER head reports. The check reads only losses already on the host: it changes no
// computation.
const (
	divergeFactor = 100
	lossFloor     = 1.0
)

// checkDivergence compares a finished step's mean loss with the first step's, which it
// records on the first call.
func (m *Model) checkDivergence(losses []float64) error {
	mean := 0.0
	for _, v := range losses {
		mean += v
	}
	mean /= float64(len(losses))
	if !m.started {
		m.started, m.firstLoss = true, mean
		return nil
	}
	if limit := divergeFactor * max(m.firstLoss, lossFloor); mean > limit {
		return fmt.Errorf("%w: training loss %.4g exceeds %d× the first step's %.4g (limit %.4g)",
			ErrDiverged, mean, divergeFactor, m.firstLoss, limit)
	}
	return nil
}

// Phases accumulates the wall time of the parts of Step. With phases, Step synchronises the
// device before each clock read: CUDA kernels run asynchronously.
type Phases struct {
	Forward   time.Duration // batch upload, forward pass, loss read back to the host
	Backward  time.Duration
	Optimizer time.Duration // clipping, AdamW, freeing the gradients
}

// Step takes one optimiser step over n micro-batches: batch(k) uploads the k-th, and Step
// drops it after its backward pass. Each loss is divided by accum before backward, so that
// the gradients add up to those of one batch of accum micro-batches (accum exceeds n for the
// short last step of an epoch). Then the gradients are clipped to a global norm of clip (0:
// off), AdamW updates with learning rate lr, and the gradients are freed (optim.Grads: they
// never live in the parameters' .grad). Step returns each micro-batch's loss, unscaled; a
// loss that is not finite stops it before the update, with an error wrapping ErrDiverged,
// and so does a mean loss far above the first step's (checkDivergence). ph, when not nil,
// accumulates the time of each part.
func (m *Model) Step(n, accum int, batch func(k int) (*heads.Batch, error), lr, clip float64, ph *Phases) ([]float64, error) {
	if n < 1 || accum < n {
		return nil, fmt.Errorf("step over %d micro-batches with the loss divided by %d: want 1 ≤ n ≤ accum", n, accum)
	}
	params := m.Opt.Params()
	grads := optim.NewGrads(params)
	defer grads.Free()
	losses := make([]float64, 0, n)
	for k := 0; k < n; k++ {
		loss, err := m.microStep(grads, batch, k, accum, ph)
		if err != nil {
			return losses, err
		}
		losses = append(losses, loss)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return losses, fmt.Errorf("%w: training loss is %v", ErrDiverged, loss)
		}
	}
	if err := m.checkDivergence(losses); err != nil {
		return losses, err
	}
	t0 := time.Now()
	if clip > 0 {
		if norm, err := grads.ClipNorm(clip); err != nil {
			if math.IsNaN(norm) || math.IsInf(norm, 0) {
				return losses, fmt.Errorf("%w: %w", ErrDiverged, err)
			}
			return losses, fmt.Errorf("clip gradients: %w", err)
		}
	}
	if err := m.Opt.Step(lr, grads); err != nil {
		return losses, err
	}
	grads.Free()
	if ph != nil {
		torchrt.Synchronize(m.device)
		ph.Optimizer += time.Since(t0)
	}
	return losses, nil
}

// microStep runs forward, loss and backward on micro-batch k, adds the gradients to grads and
// returns the unscaled loss.
func (m *Model) microStep(grads *optim.Grads, batch func(k int) (*heads.Batch, error), k, accum int, ph *Phases) (float64, error) {
	t0 := time.Now()
	b, err := batch(k)
	if err != nil {
		return 0, err
	}
	defer b.Drop()
	loss, v, err := m.loss(b)
	if err != nil {
		return 0, err
	}
	defer tsx.Drop(loss)
	t1 := time.Now()
	if err := backward(grads, loss, accum, m.Opt.Params()); err != nil {
		return 0, fmt.Errorf("backward: %w", err)
	}
	if ph != nil {
		torchrt.Synchronize(m.device) // the loss read-back already waited for the forward pass
		ph.Forward += t1.Sub(t0)
		ph.Backward += time.Since(t1)
	}
	return v, nil
}

// loss runs the encoder and the head's training loss on b; it returns the loss tensor (the
// caller drops it) and its value.
func (m *Model) loss(b *heads.Batch) (*ts.Tensor, float64, error) {
	out, err := m.Encoder.Forward(b.In, true)
	if err != nil {
		return nil, 0, err
	}
	loss, err := m.Head.Loss(out, b)
	tsx.Drop(out.Hidden, out.Pooled) // autograd keeps what backward needs
	if err != nil {
		return nil, 0, err
	}
	v, err := loss.Float64Value([]int64{})
	if err != nil {
		tsx.Drop(loss)
		return nil, 0, fmt.Errorf("read loss: %w", tsx.Err(err))
	}
	return loss, v, nil
}

// backward back-propagates loss/accum into grads.
func backward(grads *optim.Grads, loss *ts.Tensor, accum int, params []optim.Param) error {
	if accum == 1 {
		return grads.Backward(loss, params)
	}
	scaled, err := tsx.Scaled(loss, 1/float64(accum))
	if err != nil {
		return err
	}
	defer tsx.Drop(scaled)
	return grads.Backward(scaled, params)
}
