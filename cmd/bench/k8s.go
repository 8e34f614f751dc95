package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/clue-bench/clue-bench/bench/plan"
	"github.com/clue-bench/clue-bench/hub"
	"github.com/clue-bench/clue-bench/scale"
)

func init() {
	register(&command{
		name: "k8s",
		summary: `write a Kubernetes Indexed Job (one pod per cell) and a ConfigMap with the frozen plan
Pods mount the volume claim at /bench: results in /bench/results, the built-in cache in
/bench/cache. A backbone or data directory that is not "builtin" is read at the path the config
gives, which must exist inside the pods. Apply with kubectl apply -f.`,
		flags: k8sFlags,
	})
}

func k8sFlags(fs *flag.FlagSet) action {
	cfgPath, only := matrixFlags(fs)
	job := scale.K8sJob{Name: "clue-bench", Image: "clue-bench:latest", Bench: "bench", PVC: "clue-bench", Parallelism: 1, GPUs: 1, BackoffPerIndex: 2}
	fs.StringVar(&job.Image, "image", job.Image, "container `IMAGE` with the bench binary and libtorch")
	fs.IntVar(&job.Parallelism, "parallelism", job.Parallelism, "`N` pods running at once")
	fs.StringVar(&job.PVC, "pvc", job.PVC, "persistent volume `CLAIM` for results and cache (ReadWriteMany when pods span nodes)")
	fs.IntVar(&job.GPUs, "gpus", job.GPUs, "`N` nvidia.com/gpu per pod; 0 runs cells on the CPU")
	fs.StringVar(&job.Name, "name", job.Name, "Job `NAME` (the ConfigMap is NAME-plan)")
	fs.IntVar(&job.BackoffPerIndex, "retries", job.BackoffPerIndex, "`N` retries of a failed pod for the same cell")
	fs.StringVar(&job.Bench, "bin", job.Bench, "`PATH` of the bench binary inside the image")
	outFile := fs.String("o", "", "write the manifest to `FILE` instead of standard output")
	return func(_ []string, stdout, stderr io.Writer) error {
		cfg, cells, err := loadPlan(*cfgPath, *only, 0)
		if err != nil {
			return err
		}
		f, err := plan.Freeze(cfg, cells, "")
		if err != nil {
			return fmt.Errorf("%s: %w", cfg.Path, err)
		}
		// Pods write where the volume is mounted; the config's results directory is this
		// machine's, so the plan says where they go instead of a path pods cannot have.
		f.Out = scale.K8sResultsDir
		if job.Plan, err = json.MarshalIndent(f, "", "  "); err != nil {
			return fmt.Errorf("encode plan: %w", err)
		}
		job.Plan = append(job.Plan, '\n')
		job.Cells = len(f.Cells)
		manifest, err := job.Manifest()
		if err != nil {
			return usageErrorf("%v", err)
		}
		paths := []string{f.Backbone, f.DataDir}
		for _, name := range slices.Sorted(maps.Keys(f.Backbones)) {
			paths = append(paths, f.Backbones[name])
		}
		for _, p := range paths {
			switch {
			case p == "builtin" || p == "":
			case p == f.DataDir && p == plan.CLUEData:
				fmt.Fprintf(stderr, "bench k8s: pods fetch the CLUE data into their cache on first use (bench fetch data --to the cache beforehand saves each pod the wait)\n")
			case hub.IsRef(p, p):
				fmt.Fprintf(stderr, "bench k8s: pods open the hub model %s from their Hugging Face cache (HF_HUB_CACHE), fetching it if missing\n", p)
			default:
				fmt.Fprintf(stderr, "bench k8s: pods read %s at that path: it must exist in the image or a mounted volume\n", p)
			}
		}
		if *outFile == "" {
			_, err := io.Copy(stdout, bytes.NewReader(manifest))
			return err
		}
		if err := os.WriteFile(*outFile, manifest, 0o644); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
		fmt.Fprintf(stderr, "wrote %s: %d cells, %d pods at once; apply with kubectl apply -f %s\n", *outFile, job.Cells, job.Parallelism, *outFile)
		return nil
	}
}
