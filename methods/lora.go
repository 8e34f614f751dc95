package methods

import (
	"errors"
	"fmt"
	"slices"

	"github.com/clue-bench/clue-bench/model"
)

func init() {
	Register("lora", "LoRA", "LoRA: low-rank updates B·A beside chosen linear maps train, the encoder stays frozen", newLoRA)
}

// LoRAOptions are lora's options, named as in PEFT's LoraConfig.
type LoRAOptions struct {
	// R is the rank r of every update.
	R int64 `yaml:"r" json:"r"`
	// Alpha scales the update by alpha/r (alpha/√r with RSLoRA).
	Alpha float64 `yaml:"alpha" json:"alpha"`
	// Dropout on the update's input in training.
	Dropout float64 `yaml:"dropout" json:"dropout"`
	// TargetModules are the maps that get an update, by their name inside a layer: query, key,
	// value, attention.output.dense, intermediate.dense, output.dense.
	TargetModules []string `yaml:"target_modules" json:"target_modules"`
	// UseRSLoRA scales by alpha/√r (rank-stabilised LoRA) instead of alpha/r.
	UseRSLoRA bool `yaml:"use_rslora,omitempty" json:"use_rslora,omitempty"`
	// Budget solves r for this share of fine-tuning's trainable parameters (budget.go).
	Budget float64 `yaml:"budget,omitempty" json:"budget,omitempty"`
}

// LoRA adds to each target map W (out, in) of every layer a low-rank update:
// y = x·Wᵀ + b + scaling·dropout(x)·Aᵀ·Bᵀ with A (r, in) and B (out, r), as PEFT's LoRA layer.
// A starts as nn.Linear's default (kaiming_uniform with a = √5: U(±1/√in)), B as zeros, so
// training starts from the frozen model. Only A and B train.
type LoRA struct {
	opts LoRAOptions

	params paramSet
	hooks  any // *loraHook (lora_torch.go) once attached
}

func newLoRA(decode Decode) (Spec, error) {
	o := LoRAOptions{R: 8, Alpha: 8, TargetModules: []string{"query", "value"}}
	if err := decode(&o); err != nil {
		return nil, fmt.Errorf("lora options: %w", err)
	}
	switch {
	case o.R < 1:
		return nil, fmt.Errorf("lora options: r must be at least 1, got %d", o.R)
	case o.Alpha <= 0:
		return nil, fmt.Errorf("lora options: alpha must be positive, got %g", o.Alpha)
	case !(o.Dropout >= 0 && o.Dropout < 1):
		return nil, fmt.Errorf("lora options: dropout must be in [0, 1), got %g", o.Dropout)
	case len(o.TargetModules) == 0:
		return nil, errors.New("lora options: target_modules is empty")
	}
	if err := checkBudget("lora", o.Budget); err != nil {
		return nil, err
	}
	sites, err := siteList("lora", o.TargetModules)
	if err != nil {
		return nil, err
	}
	o.TargetModules = nil
	for _, s := range sites {
		o.TargetModules = append(o.TargetModules, s.String())
	}
	return &LoRA{opts: o}, nil
}

// siteList parses layer map names into sites, in forward order, refusing unknown names and
// repeats.
func siteList(method string, names []string) ([]model.Site, error) {
	var out []model.Site
	for _, n := range names {
		i := slices.IndexFunc(model.Sites, func(s model.Site) bool { return s.String() == n })
		if i < 0 {
			known := make([]string, len(model.Sites))
			for j, s := range model.Sites {
				known[j] = s.String()
			}
			return nil, fmt.Errorf("%s options: no linear map %q in a layer (known: %v)", method, n, known)
		}
		if slices.Contains(out, model.Sites[i]) {
			return nil, fmt.Errorf("%s options: %q is listed twice", method, n)
		}
		out = append(out, model.Sites[i])
	}
	slices.Sort(out)
	return out, nil
}

// siteDims is a site's (in, out) under cfg.
func siteDims(cfg model.Config, s model.Site) (in, out int64) {
	h, i := cfg.HiddenSize, cfg.IntermediateSize
	switch s {
	case model.SiteFFNIn:
		return h, i
	case model.SiteFFNOut:
		return i, h
	}
	return h, h
}

// Name implements Spec.
func (*LoRA) Name() string { return "lora" }

// Options implements Spec.
func (m *LoRA) Options() any { return m.opts }

// Trains implements Spec: exactly the A and B matrices made by Attach.
func (m *LoRA) Trains(name string) bool { return m.params.has(name) }

// Count implements Spec.
func (m *LoRA) Count(cfg model.Config) (added, trainableBackbone int64) {
	n, _ := sizeUnder(m, cfg)
	return m.countAt(cfg, n)
}

func (m *LoRA) countAt(cfg model.Config, r int64) (int64, int64) {
	sites, _ := siteList("lora", m.opts.TargetModules)
	var per int64
	for _, s := range sites {
		in, out := siteDims(cfg, s)
		per += r * (in + out)
	}
	n := cfg.NumHiddenLayers * per
	return n, n
}

func (*LoRA) knob() string               { return "r" }
func (m *LoRA) budget() float64          { return m.opts.Budget }
func (m *LoRA) size() int64              { return m.opts.R }
func (*LoRA) maxSize(model.Config) int64 { return 0 }
