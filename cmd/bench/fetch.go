package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/term"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/fetch"
	"github.com/clue-bench/clue-bench/hub"
	"github.com/clue-bench/clue-bench/internal/download"
)

// fetchGroup groups `bench fetch model` and `bench fetch data`. Neither needs libtorch, so
// a machine can be prepared by a build without cgo.
var fetchGroup = &command{
	name:    "fetch",
	summary: "download a backbone from the Hugging Face hub (model) or the CLUE and FewCLUE data (data)",
	subs:    map[string]*command{},
}

func init() {
	register(fetchGroup)
	fetchGroup.add(&command{
		name: "model",
		summary: "put hub models (owner/name or owner/name@revision) in the Hugging Face cache and print their directories\n" +
			"The cache is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub, the layout\n" +
			"huggingface_hub uses: a snapshot already there is used without a request. Files come from\n" +
			"$HF_ENDPOINT (https://huggingface.co) with $HF_TOKEN; HF_HUB_OFFLINE=1 forbids requests.",
		args:    "NAME...",
		maxArgs: 64,
		flags:   fetchModelFlags,
	})
	fetchGroup.add(&command{
		name: "data",
		summary: "download the CLUE task zips (and with --fewclue the FewCLUE folders), verify and unpack them\n" +
			"into the layout data_dir expects. FewCLUE files are checked against recorded sha256 sums; CLUE\n" +
			"zips are recorded at their first download (DIR/manifest.json) and checked on every later use.\n" +
			"CLUE_BENCH_CLUE_URL and CLUE_BENCH_FEWCLUE_URL replace the download locations (mirrors).",
		flags: fetchDataFlags,
	})
}

// downloader shows a progress bar on a terminal and a line per file elsewhere.
func downloader(stderr io.Writer) *download.Client {
	c := &download.Client{Progress: stderr}
	if f, ok := stderr.(*os.File); ok {
		c.TTY = term.IsTerminal(int(f.Fd()))
	}
	return c
}

func fetchModelFlags(*flag.FlagSet) action {
	return func(args []string, stdout, stderr io.Writer) error {
		if len(args) == 0 {
			return usageErrorf("name a model: owner/name or owner/name@revision")
		}
		// Every name is checked before anything is downloaded.
		refs := make([]hub.Ref, len(args))
		for i, a := range args {
			r, ok := hub.ParseRef(a)
			if !ok {
				return usageErrorf("%q: want owner/name or owner/name@revision", a)
			}
			refs[i] = r
		}
		ctx, stop := interruptContext()
		defer stop()
		c := hub.FromEnv()
		c.Download = downloader(stderr)
		for _, r := range refs {
			dir, err := c.Snapshot(ctx, r)
			if err != nil {
				if ctx.Err() != nil {
					return interrupted(ctx, "interrupted; the partial download is resumed next time")
				}
				return err
			}
			fmt.Fprintln(stdout, dir)
		}
		return nil
	}
}

func fetchDataFlags(fs *flag.FlagSet) action {
	tasks := fs.String("tasks", "", "comma-separated task `NAMES` (default: every task that can be fetched)")
	few := fs.Bool("fewclue", false, "also fetch the FewCLUE folders of the tasks (and the FewCLUE-only tasks)")
	to := fs.String("to", "", "data `DIR` (default: the cache that data_dir: clue stands for, $CLUE_BENCH_CACHE/clue, else ~/.cache/clue-bench/clue)")
	return func(_ []string, stdout, stderr io.Writer) error {
		o := fetch.Options{Dir: *to, CLUE: true, FewCLUE: *few, Download: downloader(stderr), Log: stderr}
		if o.Dir == "" {
			o.Dir = fetch.DefaultDir()
		}
		if *tasks != "" {
			for _, t := range strings.Split(*tasks, ",") {
				if t = strings.TrimSpace(t); t != "" {
					o.Tasks = append(o.Tasks, t)
				}
			}
			for _, t := range o.Tasks {
				if _, err := fetch.Lookup(t); err != nil {
					return usageErrorf("--tasks: %v", err)
				}
			}
		}
		o.FromEnv()
		ctx, stop := interruptContext()
		defer stop()
		if err := fetch.Data(ctx, o); err != nil {
			if ctx.Err() != nil {
				return interrupted(ctx, "interrupted; partial downloads are resumed next time")
			}
			return err
		}
		fmt.Fprintln(stdout, o.Dir)
		return nil
	}
}

// backboneValue is what a backbone is opened by: its hub name when the config writes one
// and dir, the value resolved as a directory, does not exist (see hub.IsRef); else dir.
func backboneValue(written, dir string) string {
	if hub.IsRef(written, dir) {
		return written
	}
	return dir
}

// resolveHubBackbone turns a backbone value that names a hub model (an owner/name that is no
// directory) into its snapshot directory, fetching what is missing; other values are
// returned as they are.
func resolveHubBackbone(ctx context.Context, value string, stderr io.Writer) (string, error) {
	r, ok := hub.ParseRef(value)
	if !ok || !hub.IsRef(value, value) {
		return value, nil
	}
	c := hub.FromEnv()
	c.Download = downloader(stderr)
	dir, err := c.Snapshot(ctx, r)
	if err != nil {
		return "", fmt.Errorf("backbone %s (no such directory, so a Hugging Face hub model): %w", value, err)
	}
	return dir, nil
}

// fetchCLUEData makes sure the data cache that data_dir: clue stands for holds what the
// config's tasks and settings read: the CLUE zips for full and k-shot settings, the FewCLUE
// folders for few:* ones. What is there is verified; what is missing is fetched.
func fetchCLUEData(ctx context.Context, cfg *plan.Config, stderr io.Writer) (string, error) {
	o := fetch.Options{Dir: fetch.DefaultDir(), Implicit: true, Download: downloader(stderr), Log: stderr}
	for name := range cfg.Tasks {
		o.Tasks = append(o.Tasks, name)
	}
	sort.Strings(o.Tasks)
	for _, s := range cfg.Settings {
		if strings.HasPrefix(s.Split, "few:") {
			o.FewCLUE = true
		} else {
			o.CLUE = true
		}
	}
	o.FromEnv()
	if err := fetch.Data(ctx, o); err != nil {
		if where := cfg.Pos("data_dir"); where != "" {
			return "", fmt.Errorf("%s: data_dir: clue: %w", where, err)
		}
		return "", fmt.Errorf("data_dir: clue: %w", err)
	}
	return o.Dir, nil
}
