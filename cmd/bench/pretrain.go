//go:build cgo

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/clue-bench/clue-bench/builtin"
)

func init() {
	register(&command{
		name: "pretrain",
		summary: `pre-train the built-in backbone (a small BERT, masked-LM on the mini-CLUE corpus)
The result is an HF model directory (config.json, vocab.txt, model.safetensors) in the cache,
keyed by a hash of its spec and vocabulary; an existing one is reused unless --rebuild. Prints
its path. (bench run, on an empty cache, installs the pre-trained copy of the default backbone
that bench carries; this command pre-trains instead.)`,
		flags: pretrainFlags,
	})
}

func pretrainFlags(fs *flag.FlagSet) action {
	// The default is resolved when the command runs, so that -h reads the same everywhere.
	cache := fs.String("cache", "", "cache `DIR` (default: $CLUE_BENCH_CACHE, else clue-bench in the user cache directory)")
	spec := builtin.DefaultSpec()
	fs.IntVar(&spec.Steps, "steps", spec.Steps, "`N` masked-LM steps")
	fs.Float64Var(&spec.LR, "lr", spec.LR, "peak learning rate `LR` (linear warm-up over 5% of the steps, then linear decay)")
	fs.StringVar(&spec.Device, "device", spec.Device, "`DEVICE`: auto, cpu, cuda or cuda:N")
	fs.IntVar(&spec.Threads, "threads", 0, "`N` libtorch threads (0 = all cores)")
	rebuild := fs.Bool("rebuild", false, "pre-train even when the cache has this backbone, replacing it")
	return func(_ []string, stdout, stderr io.Writer) error {
		if err := firstError(
			intAtLeast("steps", spec.Steps, 1, ""),
			finiteAtLeast("lr", spec.LR, 0, true),
			intAtLeast("threads", spec.Threads, 0, "0 = all cores"),
		); err != nil {
			return err
		}
		if *cache == "" {
			*cache = builtin.CacheDir()
		}
		ctx, stop := interruptContext()
		defer stop()
		dir, err := builtinModel(ctx, *cache, spec, builtin.Options{Pretrain: true, Rebuild: *rebuild}, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, dir)
		return nil
	}
}

// builtinModel returns the built-in backbone, pre-training it with a progress display if
// needed (o.Progress is set here), and says so when it installed the shipped copy.
func builtinModel(ctx context.Context, cache string, spec builtin.Spec, o builtin.Options, stderr io.Writer) (string, error) {
	tty := false
	if f, ok := stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	var bar *progressbar.ProgressBar
	started := false
	progress := func(step, total int, loss float64) {
		if !started {
			started = true
			fmt.Fprintf(stderr, "pre-training the built-in backbone (%d layers, hidden %d, %d steps); cached afterwards\n", spec.Layers, spec.Hidden, total)
			if tty {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("pretrain"),
					progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionSetWidth(30))
			}
		}
		if bar != nil {
			bar.Describe(fmt.Sprintf("pretrain loss %.3f", loss))
			_ = bar.Set(step)
		} else if step%50 == 0 || step == total {
			fmt.Fprintf(stderr, "  pretrain step %d/%d loss %.3f\n", step, total, loss)
		}
	}
	o.Progress = progress
	dir, src, err := builtin.Backbone(ctx, cache, spec, o)
	if bar != nil {
		fmt.Fprintln(stderr)
	}
	if err == nil && src == builtin.Shipped {
		fmt.Fprintf(stderr, "built-in backbone: installed the pre-trained copy bench carries (%d layers, hidden %d, %d steps); bench pretrain --rebuild re-trains it\n", spec.Layers, spec.Hidden, spec.Steps)
	}
	return dir, err
}
