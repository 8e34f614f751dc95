//go:build cgo

package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/clue-bench/clue-bench/bench"
)

func init() {
	register(&command{
		name: "predict",
		summary: `predict a data set with a cell's kept weights, without training, and write its CLUE submission file
Every cell keeps its best-dev trained tensors (the method's and the head's) in
RESULTS/cells/KEY.safetensors, with the cell, the method's options and the backbone's
directory and fingerprint in the file's metadata. predict rebuilds the backbone, the method and
the head from them, loads the tensors and predicts --split of --data as the cell's run does:
on the cell's own data it writes the same test predictions. A backbone whose fingerprint
(config.json and checkpoint size) differs from the recorded one is refused. Fine-tuning keeps
its backbone only when run with bench run --save-backbone; without it there is nothing to
predict with.`,
		required: []string{"cell", "data"},
		flags:    predictFlags,
	})
}

func predictFlags(fs *flag.FlagSet) action {
	from := fs.String("cell", "", "the cell's result `FILE` (RESULTS/cells/KEY.json) or its weights file (KEY.safetensors)")
	data := fs.String("data", "", "data `DIR` holding the task's files, as a config's data_dir")
	split := fs.String("split", "test", "`SPLIT` to predict: test or dev (dev also prints its metrics)")
	out := fs.String("out", ".", "`DIR` for the submission file (dev's is named dev_FILE)")
	modelDir := fs.String("model", "", "backbone `DIR` (default: the directory the weights file records)")
	device := fs.String("device", "auto", "`DEVICE`: auto, cpu, cuda or cuda:N")
	threads := fs.Int("threads", 0, "`N` libtorch threads; 0 = all cores")
	return func(_ []string, stdout, stderr io.Writer) error {
		if err := checkDeviceName(*device); err != nil {
			return usageErrorf("--device %v", err)
		}
		if *split != "test" && *split != "dev" {
			return usageErrorf("--split %q: want test or dev", *split)
		}
		if err := intAtLeast("threads", *threads, 0, "0 = all cores"); err != nil {
			return err
		}
		ctx, stop := interruptContext()
		defer stop()
		p, err := bench.Predict(ctx, bench.PredictOptions{From: *from, ModelDir: *modelDir, DataDir: *data, Split: *split,
			Out: *out, Device: *device, Threads: *threads, Stderr: io.Discard})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s s%d: %d %s examples predicted, written to %s\n", p.Cell.Name(), p.Cell.Seed, p.N, *split, p.Path)
		for _, k := range slices.Sorted(maps.Keys(p.Metrics)) {
			fmt.Fprintf(stdout, "  %s %.2f\n", k, p.Metrics[k])
		}
		return nil
	}
}
