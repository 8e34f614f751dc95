package methods

import (
	"fmt"
	"math"

	"github.com/clue-bench/clue-bench/model"
)

// Equal budgets. A method with a size knob (LoRA's rank, FL-tuning's units, an adapter's
// bottleneck, a prefix's length, …) may be given `budget: s` in its options instead of a size:
// the knob is then solved, from the model config alone, for the trainable count (method
// additions plus trained encoder weights, the head left out) nearest s × fine-tuning's
// trainable_backbone. Sizes are solved where a config is at hand (Check, Count, Attach), so
// the options, and the cell id, name the budget rather than a size.

// sizer is a method with one integer size knob.
type sizer interface {
	Spec
	// knob is the option's name, e.g. "r".
	knob() string
	// budget is the options' budget share, 0 when the knob is set directly.
	budget() float64
	// size is the knob as set in the options.
	size() int64
	// countAt is Count with the knob at n.
	countAt(cfg model.Config, n int64) (added, trainableBackbone int64)
	// maxSize is the largest valid knob under cfg, 0 for no limit.
	maxSize(cfg model.Config) int64
}

// Size is how a method's size is set under a model config: its knob, the value in use, the
// trainable count and share of fine-tuning's trainable_backbone that gives, and, under a
// budget, the budget and whether it was reached.
type Size struct {
	Knob    string  `json:"knob,omitempty"` // "" for a method without one
	Value   int64   `json:"value,omitempty"`
	Budget  float64 `json:"budget,omitempty"`
	Share   float64 `json:"share"`             // trainable_backbone / fine-tuning's
	Reached *bool   `json:"reached,omitempty"` // under a budget: false when no valid size comes within half a step of it
}

// fullBackbone is fine-tuning's trainable_backbone under cfg, the budgets' denominator.
func fullBackbone(cfg model.Config) int64 {
	total, _ := EncoderParams(cfg)
	return total
}

// SizeOf reports m's size under cfg (see Size).
func SizeOf(m Spec, cfg model.Config) Size {
	_, backbone := m.Count(cfg)
	out := Size{Share: float64(backbone) / float64(fullBackbone(cfg))}
	s, ok := m.(sizer)
	if !ok {
		return out
	}
	out.Knob = s.knob()
	n, reached := sizeUnder(s, cfg)
	out.Value = n
	if b := s.budget(); b > 0 {
		out.Budget = b
		out.Reached = &reached
	}
	return out
}

// KnobOf names m's size knob, "" for a method without one (BitFit, IA3, fine-tuning).
func KnobOf(m Spec) string {
	if s, ok := m.(sizer); ok {
		return s.knob()
	}
	return ""
}

// sizeUnder is the knob s uses under cfg: as set, or solved for its budget; reached is false
// when no valid size comes within half a step of the budget.
func sizeUnder(s sizer, cfg model.Config) (n int64, reached bool) {
	b := s.budget()
	if b <= 0 {
		return s.size(), true
	}
	return solveBudget(func(n int64) int64 { _, t := s.countAt(cfg, n); return t },
		b*float64(fullBackbone(cfg)), s.maxSize(cfg))
}

// solveBudget finds the n ≥ 1 (and ≤ max when max > 0) whose count is nearest target, the
// smaller n on a tie. count must be increasing in n. reached is false when no valid n comes
// within half a step of target: the largest falls short, or the smallest overshoots.
func solveBudget(count func(int64) int64, target float64, max int64) (n int64, reached bool) {
	lo, hi := int64(1), int64(1)
	for float64(count(hi)) < target && (max == 0 || hi < max) {
		lo = hi
		hi *= 2
		if max > 0 && hi > max {
			hi = max
		}
	}
	// count(lo) < target ≤ count(hi), or hi is the largest size.
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if float64(count(mid)) < target {
			lo = mid
		} else {
			hi = mid
		}
	}
	n = hi
	if math.Abs(float64(count(lo))-target) <= math.Abs(float64(count(hi))-target) {
		n = lo
	}
	// Reached: within half a step of the target. Otherwise the budget lies beyond the largest
	// valid size, or below the smallest (a method with a large fixed part).
	step := count(n+1) - count(n)
	if max > 0 && n == max && n > 1 {
		step = count(n) - count(n-1)
	}
	return n, math.Abs(float64(count(n))-target) <= float64(step)/2+0.5
}

// checkBudget validates a budget option.
func checkBudget(name string, b float64) error {
	if b < 0 || b >= 1 || math.IsNaN(b) {
		return fmt.Errorf("%s options: budget must be a share in (0, 1), or 0 to use the size as set; got %g", name, b)
	}
	return nil
}
