package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/clue-bench/clue-bench/builtin"
	"github.com/clue-bench/clue-bench/methods"
	"github.com/clue-bench/clue-bench/model"
)

func init() {
	register(&command{
		name: "params",
		summary: "print a tuning method's parameter accounting for a model as one JSON object\n\n" +
			"Counts come from the model's config.json alone (no weights are read): trainable,\n" +
			"trainable_backbone, head (classifier H·N + N), added, total, ratio, ratio_encoder_layers.\n" +
			"With --budget S, a method's size knob (rank, units, bottleneck, prefix length, …) is solved\n" +
			"for the trainable_backbone nearest S × fine-tuning's, and the object gains \"size\": the\n" +
			"knob, its value, the budget, whether it was reached and the share it gives. Without\n" +
			"--method, a table of every registered method (at the budget, if given).",
		required: []string{"model"},
		flags:    paramsFlags,
	})
}

func paramsFlags(fs *flag.FlagSet) action {
	modelDir := fs.String("model", "", "model `DIR` holding config.json, or builtin")
	name := fs.String("method", "", "tuning method `NAME`: "+strings.Join(methods.Names(), ", "))
	var sets multiFlag
	fs.Var(&sets, "set", "method option as `key=value` (repeatable), e.g. units=8")
	labels := fs.Int64("labels", 2, "number of classifier labels `N`")
	budget := fs.Float64("budget", 0, "solve the method's size knob for this `SHARE` of fine-tuning's trainable parameters, e.g. 0.03")
	return func(_ []string, stdout, stderr io.Writer) error {
		if *labels < 1 {
			return usageErrorf("--labels must be at least 1, got %d", *labels)
		}
		if *budget < 0 || *budget >= 1 {
			return usageErrorf("--budget must be a share in (0, 1), got %g", *budget)
		}
		if *name != "" && !slices.Contains(methods.Names(), *name) {
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
		head := *labels*cfg.HiddenSize + *labels
		if *name == "" {
			if len(sets) > 0 {
				return usageErrorf("--set needs --method")
			}
			return paramsTable(stdout, cfg, head, *budget)
		}
		m, err := budgetSpec(*name, sets, *budget)
		if err != nil {
			return err
		}
		if err := methods.Check(m, cfg); err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if *budget == 0 {
			return enc.Encode(methods.Count(cfg, m, head))
		}
		size := methods.SizeOf(m, cfg)
		return enc.Encode(struct {
			methods.Counts
			Size methods.Size `json:"size"`
		}{methods.Count(cfg, m, head), size})
	}
}

// budgetSpec builds the named method from --set strings, with budget=S added when a budget
// is given and the method has a size knob (one without reports its fixed share).
func budgetSpec(name string, sets []string, budget float64) (methods.Spec, error) {
	if budget > 0 {
		plain, err := methods.NewSpec(name, nil)
		if err != nil {
			return nil, err
		}
		if methods.KnobOf(plain) != "" {
			sets = append(append([]string{}, sets...), fmt.Sprintf("budget=%g", budget))
		}
	}
	opts, err := methods.SettingsNode(sets)
	if err != nil {
		return nil, err
	}
	return methods.NewSpec(name, opts)
}

// paramsTable prints every registered method's default (or budget-solved) size and counts.
func paramsTable(w io.Writer, cfg model.Config, head int64, budget float64) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "method\tknob\tsize\ttrainable_backbone\tshare\ttrainable\tratio\tnote")
	for _, name := range methods.Names() {
		m, err := budgetSpec(name, nil, budget)
		if err != nil {
			return err
		}
		if err := methods.Check(m, cfg); err != nil {
			fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t%v\n", name, err)
			continue
		}
		c, s := methods.Count(cfg, m, head), methods.SizeOf(m, cfg)
		knob, size, note := "-", "-", ""
		if s.Knob != "" {
			knob, size = s.Knob, fmt.Sprint(s.Value)
		}
		switch {
		case budget > 0 && s.Knob == "":
			note = "no size knob: fixed share"
		case s.Reached != nil && !*s.Reached:
			note = "budget not reachable: nearest valid size"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.4f%%\t%d\t%.4f%%\t%s\n", name, knob, size, c.TrainableBackbone, 100*s.Share, c.Trainable, 100*c.Ratio, note)
	}
	return tw.Flush()
}
