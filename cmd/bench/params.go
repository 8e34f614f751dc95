package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/clue-bench/clue-bench/builtin"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
)

func init() {
	register(&command{
		name: "params",
		summary: "print a tuning method's parameter accounting for a model as one JSON object\n\n" +
			"Counts come from the model's config.json alone (no weights are read): trainable,\n" +
			"trainable_backbone, head (classifier H·N + N), added, total, ratio, ratio_encoder_layers.",
		required: []string{"model", "method"},
		flags:    paramsFlags,
	})
}

func paramsFlags(fs *flag.FlagSet) action {
	modelDir := fs.String("model", "", "model `DIR` holding config.json, or builtin")
	name := fs.String("method", "", "tuning method `NAME`: "+strings.Join(methods.Names(), ", "))
	var sets multiFlag
	fs.Var(&sets, "set", "method option as `key=value` (repeatable), e.g. units=8")
	labels := fs.Int64("labels", 2, "number of classifier labels `N`")
	return func(_ []string, stdout, stderr io.Writer) error {
		if *labels < 1 {
			return usageErrorf("--labels must be at least 1, got %d", *labels)
		}
		if !slices.Contains(methods.Names(), *name) {
			return fmt.Errorf("--method %q: unknown method (known: %s)", *name, strings.Join(methods.Names(), ", "))
		}
		var cfg model.Config
		var err error
		if *modelDir == "builtin" {
			cfg, err = builtin.ModelConfig(builtin.CacheDir(), builtin.DefaultSpec())
		} else {
			cfg, err = model.ReadConfig(filepath.Join(*modelDir, "config.json"))
		}
		if err != nil {
			return err
		}
		opts, err := methods.SettingsNode(sets)
		if err != nil {
			return err
		}
		m, err := methods.NewSpec(*name, opts)
		if err != nil {
			return err
		}
		if err := methods.Check(m, cfg); err != nil {
			return err
		}
		head := *labels*cfg.HiddenSize + *labels
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(methods.Count(cfg, m, head))
	}
}
