// Package scale renders what runs a frozen plan (bench plan --freeze) on a cluster: an sbatch
// script for a Slurm job array and a Kubernetes Indexed Job, both with one cell per task. Each
// task runs `bench run-cell --plan PLAN --index I`, which is idempotent, so that rerunning an
// array, a requeued task or a retried pod never trains a cell twice.
//
// The package only writes text; the bench command freezes plans, writes the files and submits.
package scale
