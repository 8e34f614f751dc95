package main

import (
	"flag"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/builtin"
	"github.com/clue-bench/clue-bench/clue"
	"github.com/clue-bench/clue-bench/methods"
)

// registry tells config validation which tasks and methods exist and how to check their
// options, and what "builtin" stands for (pretrainSteps > 0 overrides the backbone's steps,
// as run's --pretrain-steps does).
func registry(pretrainSteps int) plan.Registry {
	spec := builtin.DefaultSpec()
	if pretrainSteps > 0 {
		spec.Steps = pretrainSteps
	}
	return plan.Registry{
		Tasks:           clue.Names(),
		Methods:         methods.Names(),
		BuiltinBackbone: spec.ID(),
		BuiltinData:     builtin.DataID(spec.DataSeed),
		ResolveOptions: func(name string, opts *yaml.Node) (any, error) {
			m, err := methods.NewSpec(name, opts)
			if err != nil {
				return nil, err
			}
			return m.Options(), nil
		},
		CheckSplit: func(s string) error {
			_, err := clue.ParseSelection(s)
			return err
		},
		CheckDevice: checkDeviceName,
	}
}

// loadPlan reads the config and expands its cells, applying --only globs. pretrainSteps is
// run's --pretrain-steps (0 elsewhere).
func loadPlan(path string, only []string, pretrainSteps int) (*plan.Config, []plan.Cell, error) {
	cfg, err := plan.LoadConfig(path, registry(pretrainSteps))
	if err != nil {
		return nil, nil, err
	}
	cells, err := cfg.Expand()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if cells, err = plan.Filter(cells, only); err != nil {
		return nil, nil, usageErrorf("%v", err) // every Filter error is about an --only glob
	}
	return cfg, cells, nil
}

// matrixFlags declares the flags of every command that reads the experiment matrix: -c and
// the repeatable --only.
func matrixFlags(fs *flag.FlagSet) (cfgPath *string, only *multiFlag) {
	cfgPath = fs.String("c", "experiments.yaml", "experiment matrix `FILE`")
	only = new(multiFlag)
	fs.Var(only, "only", "only cells whose task/method/setting/sSEED (backbone/task/method/setting/sSEED with several backbones; .../sSEED/GRID, e.g. .../s1/lr=0.001, where hyper-parameters are lists) matches this `GLOB` (repeatable; a shorter glob matches the leading parts: c3 or c3/* is every c3 cell, nezha every cell of backbone nezha)")
	return cfgPath, only
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
