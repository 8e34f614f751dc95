// Package scale renders what runs a frozen plan (bench plan --freeze) on a cluster. For Slurm
// that is an sbatch script for a job array (SlurmJob). For Kubernetes it is an Indexed Job
// with a ConfigMap that carries the plan (K8sJob). Both run one cell per task or pod. Each
// runs `bench run-cell --plan PLAN --index I`, which is idempotent, so that rerunning an
// array, a requeued task or a retried pod never trains a cell twice.
//
// The package only writes text. The bench command freezes plans, writes the files and
// submits them. Subpackage fixture holds a tiny experiment that tests these paths end to
// end.
package scale
