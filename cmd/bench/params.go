package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/clue-bench/clue-bench/builtin"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
)

func init() {
	register(&command{
		name:  "params",
		usage: "--model DIR|builtin --method NAME [--set key=value]... [--labels N]",
		summary: "print a tuning method's parameter accounting for a model as one JSON object\n\n" +
			"Counts come from the model's config.json alone (no weights are read): trainable,\n" +
			"trainable_backbone, head (classifier H·N + N), added, total, ratio, ratio_encoder_layers.",
		run: runParams,
	})
}

// keyValues collects repeated --set key=value flags.
type keyValues []string

func (kv *keyValues) String() string     { return strings.Join(*kv, " ") }
func (kv *keyValues) Set(v string) error { *kv = append(*kv, v); return nil }

func runParams(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("params", stderr)
	modelDir := fs.String("model", "", "model directory holding config.json, or builtin")
	name := fs.String("method", "", "tuning method: "+strings.Join(methods.Names(), ", "))
	var sets keyValues
	fs.Var(&sets, "set", "method option as key=value (repeatable), e.g. units=8")
	labels := fs.Int64("labels", 2, "number of classifier labels N")
	if err := parseClueFlags(fs.Parse(args), fs.Args()); err != nil {
		return err
	}
	switch {
	case *modelDir == "":
		return &exitError{code: 2, msg: "--model is required"}
	case *name == "":
		return &exitError{code: 2, msg: "--method is required (one of " + strings.Join(methods.Names(), ", ") + ")"}
	case *labels < 1:
		return &exitError{code: 2, msg: fmt.Sprintf("--labels must be at least 1, got %d", *labels)}
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
	m, err := methods.FromSettings(*name, sets)
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
