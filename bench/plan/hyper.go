package plan

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Hyper holds the training hyper-parameters of one cell. Overlay has the same fields as
// pointers so that a layer of the YAML can set some of them and leave the rest alone.
type Hyper struct {
	MaxLen        int     `json:"max_len"`
	BatchSize     int     `json:"batch_size"`
	EvalBatchSize int     `json:"eval_batch_size"`
	Epochs        float64 `json:"epochs"`
	MaxSteps      int     `json:"max_steps"` // optimiser steps; 0 = from epochs
	LR            float64 `json:"lr"`
	WeightDecay   float64 `json:"weight_decay"`
	Warmup        float64 `json:"warmup"`     // fraction of the steps with linear warm-up
	Clip          float64 `json:"clip"`       // max global gradient norm; 0 = off
	Accumulate    int     `json:"accumulate"` // micro-batches per optimiser step
	EvalEvery     int     `json:"eval_every"` // optimiser steps between dev evaluations; 0 = every epoch
	Patience      int     `json:"patience"`   // stop after this many evaluations without improvement; 0 = off
	Pooler        bool    `json:"pooler"`     // classification head reads the pooler output instead of [CLS]
	HeadDropout   float64 `json:"head_dropout"`
	// FrozenBF16 runs the frozen backbone's matrix products in bfloat16 (model.SetFrozenBF16).
	// omitempty: cells that leave it off keep the ids they had before the key existed.
	FrozenBF16 bool `json:"frozen_bf16,omitempty"`
}

// Overlay is a partial Hyper as written in YAML.
type Overlay struct {
	MaxLen        *int     `yaml:"max_len"`
	BatchSize     *int     `yaml:"batch_size"`
	EvalBatchSize *int     `yaml:"eval_batch_size"`
	Epochs        *float64 `yaml:"epochs"`
	MaxSteps      *int     `yaml:"max_steps"`
	LR            *float64 `yaml:"lr"`
	WeightDecay   *float64 `yaml:"weight_decay"`
	Warmup        *float64 `yaml:"warmup"`
	Clip          *float64 `yaml:"clip"`
	Accumulate    *int     `yaml:"accumulate"`
	EvalEvery     *int     `yaml:"eval_every"`
	Patience      *int     `yaml:"patience"`
	Pooler        *bool    `yaml:"pooler"`
	HeadDropout   *float64 `yaml:"head_dropout"`
	FrozenBF16    *bool    `yaml:"frozen_bf16"`
}

// apply copies the fields set in o onto h.
func (o *Overlay) apply(h *Hyper) {
	if o == nil {
		return
	}
	setp(&h.MaxLen, o.MaxLen)
	setp(&h.BatchSize, o.BatchSize)
	setp(&h.EvalBatchSize, o.EvalBatchSize)
	setp(&h.Epochs, o.Epochs)
	setp(&h.MaxSteps, o.MaxSteps)
	setp(&h.LR, o.LR)
	setp(&h.WeightDecay, o.WeightDecay)
	setp(&h.Warmup, o.Warmup)
	setp(&h.Clip, o.Clip)
	setp(&h.Accumulate, o.Accumulate)
	setp(&h.EvalEvery, o.EvalEvery)
	setp(&h.Patience, o.Patience)
	setp(&h.Pooler, o.Pooler)
	setp(&h.HeadDropout, o.HeadDropout)
	setp(&h.FrozenBF16, o.FrozenBF16)
}

func setp[T any](dst, src *T) {
	if src != nil {
		*dst = *src
	}
}

// validate checks a fully resolved Hyper.
func (h Hyper) validate() error {
	var errs []string
	check := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, msg)
		}
	}
	// Non-finite values first: NaN fails every comparison below and would be reported as
	// out of range, and +Inf passes "not negative" and trains, then cannot be recorded.
	for _, f := range []struct {
		key string
		v   float64
	}{{"epochs", h.Epochs}, {"lr", h.LR}, {"weight_decay", h.WeightDecay}, {"warmup", h.Warmup}, {"clip", h.Clip}, {"head_dropout", h.HeadDropout}} {
		if math.IsInf(f.v, 0) || math.IsNaN(f.v) {
			errs = append(errs, finiteMsg(f.key, f.v))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	check(h.MaxLen >= 8, "max_len must be at least 8")
	check(h.BatchSize >= 1, "batch_size must be at least 1")
	check(h.EvalBatchSize >= 0, "eval_batch_size must not be negative")
	check(h.Epochs > 0 || h.MaxSteps > 0, "epochs or max_steps must be positive")
	check(h.LR >= 0, "lr must not be negative")
	check(h.WeightDecay >= 0, "weight_decay must not be negative")
	check(h.Warmup >= 0 && h.Warmup < 1, "warmup is a fraction in [0, 1)")
	check(h.Clip >= 0, "clip must not be negative")
	check(h.Accumulate >= 1, "accumulate must be at least 1")
	check(h.EvalEvery >= 0, "eval_every must not be negative")
	check(h.Patience >= 0, "patience must not be negative")
	check(h.HeadDropout >= 0 && h.HeadDropout < 1, "head_dropout is a probability in [0, 1)")
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// finiteMsg is the error for a non-finite number under key.
func finiteMsg(key string, v float64) string {
	return fmt.Sprintf("%s must be a finite number, got %v", key, v)
}

// defaultHyper is what a cell gets when the YAML says nothing: the FL-tuning code's common
// values (maxlen 128, batch 32, AdamW with decoupled decay 0.01, linear decay, no warm-up).
var defaultHyper = Hyper{MaxLen: 128, BatchSize: 32, Epochs: 10, LR: 2e-4, WeightDecay: 0.01, Accumulate: 1, HeadDropout: 0.1}

// Hyper resolves the hyper-parameters of a (task, method, setting) combination. Precedence,
// lowest first: built-in defaults, `defaults`, the task, the setting, the method, the task's
// entry for that setting, and the task's entry for that method. Method-level values beat
// task-level ones because they encode what a method needs everywhere (fine-tuning's lower
// learning rate); a task can still override that, per setting or per method.
//
// Hyper-parameters written as lists (grid axes, see grid.go) are left out: Hyper is what the
// combination gets from its scalars, and HyperAt sets a grid point's values on top.
func (c *Config) Hyper(task, method, setting string) Hyper {
	return c.hyperAt(task, method, setting, nil)
}

// hyperAt is Hyper at a grid point; the point's values are set before eval_batch_size
// defaults to twice the batch size, so that it follows a batch_size axis.
func (c *Config) hyperAt(task, method, setting string, p gridPoint) Hyper {
	h := defaultHyper
	// One list of layers serves both the scalars here and the lists (Config.axes), so the
	// two cannot disagree on precedence.
	for _, o := range c.layers(task, method, setting) {
		o.apply(&h)
	}
	p.apply(&h)
	if h.EvalBatchSize == 0 {
		h.EvalBatchSize = 2 * h.BatchSize
	}
	return h
}
