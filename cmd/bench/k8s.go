package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/clue-bench/clue-bench/bench"
	"github.com/clue-bench/clue-bench/scale"
)

func init() {
	register(&command{
		name: "k8s",
		usage: "[-c experiments.yaml] [--only GLOB]... [--image IMG] [--parallelism N] [--pvc NAME] [--gpus 1] " +
			"[--name NAME] [--retries N] [--bin PATH] [-o FILE]",
		summary: `write a Kubernetes Indexed Job (one pod per cell) and a ConfigMap with the frozen plan
Pods mount the volume claim at /bench: results in /bench/results, the built-in cache in
/bench/cache. A backbone or data directory that is not "builtin" is read at the path the config
gives, which must exist inside the pods. Apply with kubectl apply -f.`,
		run: runK8s,
	})
}

func runK8s(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("k8s", stderr)
	cfgPath := fs.String("c", "experiments.yaml", "experiment matrix")
	var only multiFlag
	fs.Var(&only, "only", "only cells whose task/method/setting matches this glob (repeatable)")
	job := scale.K8sJob{Name: "clue-bench", Image: "clue-bench:latest", Bench: "bench", PVC: "clue-bench", Parallelism: 1, GPUs: 1, BackoffPerIndex: 2}
	fs.StringVar(&job.Image, "image", job.Image, "container image with the bench binary and libtorch")
	fs.IntVar(&job.Parallelism, "parallelism", job.Parallelism, "pods running at once")
	fs.StringVar(&job.PVC, "pvc", job.PVC, "persistent volume claim for results and cache (ReadWriteMany when pods span nodes)")
	fs.IntVar(&job.GPUs, "gpus", job.GPUs, "nvidia.com/gpu per pod; 0 runs cells on the CPU")
	fs.StringVar(&job.Name, "name", job.Name, "Job name (the ConfigMap is NAME-plan)")
	fs.IntVar(&job.BackoffPerIndex, "retries", job.BackoffPerIndex, "retries of a failed pod for the same cell")
	fs.StringVar(&job.Bench, "bin", job.Bench, "the bench binary inside the image")
	outFile := fs.String("o", "", "write the manifest to FILE instead of standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("unexpected arguments %q", fs.Args())}
	}
	cfg, cells, err := loadPlan(*cfgPath, only, 0)
	if err != nil {
		return err
	}
	f, err := bench.Freeze(cfg, cells, "")
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
		return &exitError{code: 2, msg: err.Error()}
	}
	for _, p := range []string{f.Backbone, f.DataDir} {
		if p != "builtin" {
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
