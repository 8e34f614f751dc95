package scale

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Where a pod finds things: the plan comes from a ConfigMap, results and the built-in cache
// live on one persistent volume shared by all pods (ReadWriteMany when pods span nodes).
const (
	K8sPlanDir    = "/plan"
	K8sPlanFile   = "plan.json"
	K8sVolume     = "/bench"
	K8sResultsDir = K8sVolume + "/results"
	K8sCacheDir   = K8sVolume + "/cache"
)

// configMapLimit is the API server's limit on a ConfigMap, less room for its metadata.
const configMapLimit = 1<<20 - 4096

// K8sJob is an Indexed Job with one completion per cell of a frozen plan.
type K8sJob struct {
	Name            string // Job name; the ConfigMap is Name-plan
	Image           string // an image with the bench binary (and libtorch)
	Bench           string // the bench binary inside the image
	Plan            []byte // the frozen plan file
	Cells           int    // cells in the plan: completions
	Parallelism     int    // pods at once
	PVC             string // claim mounted at K8sVolume
	GPUs            int    // nvidia.com/gpu per pod; 0 = CPU only
	BackoffPerIndex int    // retries of one index before it counts as failed
}

// dnsLabel is what Kubernetes accepts as a Job name (which also names its pods).
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$`)

// Manifest renders the ConfigMap and the Job as one YAML stream.
func (j K8sJob) Manifest() ([]byte, error) {
	if err := j.check(); err != nil {
		return nil, err
	}
	device := "cpu"
	var resources map[string]any
	if j.GPUs > 0 {
		device = "cuda"
		resources = map[string]any{"limits": map[string]any{"nvidia.com/gpu": j.GPUs}}
	}
	args := []string{"run-cell", "--plan", K8sPlanDir + "/" + K8sPlanFile,
		// The kubelet expands $(VAR) from the container's environment, which for an Indexed
		// Job includes JOB_COMPLETION_INDEX.
		"--index", "$(JOB_COMPLETION_INDEX)",
		"--out", K8sResultsDir, "--device", device,
		// A retried pod finds the claim of the pod it replaces, which from another host looks
		// alive until it goes stale; waiting takes the cell over then instead of giving up.
		"--wait"}
	container := map[string]any{
		"name":    "bench",
		"image":   j.Image,
		"command": []string{j.Bench},
		"args":    args,
		"env": []map[string]string{
			{"name": "CLUE_BENCH_CACHE", "value": K8sCacheDir},
			{"name": "GOTCH_CACHE", "value": K8sCacheDir + "/gotch"},
		},
		"volumeMounts": []map[string]any{
			{"name": "bench", "mountPath": K8sVolume},
			{"name": "plan", "mountPath": K8sPlanDir, "readOnly": true},
		},
	}
	if resources != nil {
		container["resources"] = resources
	}
	labels := map[string]string{"app.kubernetes.io/name": "clue-bench", "app.kubernetes.io/instance": j.Name}
	configMap := k8sObject{APIVersion: "v1", Kind: "ConfigMap", Metadata: k8sMeta{Name: j.Name + "-plan", Labels: labels},
		Data: map[string]string{K8sPlanFile: string(j.Plan)}}
	job := k8sObject{APIVersion: "batch/v1", Kind: "Job", Metadata: k8sMeta{Name: j.Name, Labels: labels},
		Spec: &k8sJobSpec{
			CompletionMode:       "Indexed",
			Completions:          j.Cells,
			Parallelism:          j.Parallelism,
			BackoffLimitPerIndex: j.BackoffPerIndex,
			Template: k8sPodTemplate{
				Metadata: k8sMeta{Labels: labels},
				Spec: map[string]any{
					// Required by backoffLimitPerIndex; a failed pod is replaced, not restarted.
					"restartPolicy": "Never",
					"containers":    []any{container},
					"volumes": []map[string]any{
						{"name": "bench", "persistentVolumeClaim": map[string]string{"claimName": j.PVC}},
						{"name": "plan", "configMap": map[string]string{"name": j.Name + "-plan"}},
					},
				},
			},
		}}
	var b bytes.Buffer
	b.WriteString("# Written by `bench k8s`: one pod per cell of the frozen plan in the ConfigMap below.\n")
	b.WriteString("# Results: " + K8sResultsDir + " on the volume claim " + strconv.Quote(j.PVC) + ".\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, doc := range []any{configMap, job} {
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("k8s manifest: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("k8s manifest: %w", err)
	}
	return b.Bytes(), nil
}

// The top levels are structs so that the manifest reads in the usual order (kind before
// spec); below that, field order does not help a reader and maps are shorter.
type k8sObject struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   k8sMeta           `yaml:"metadata"`
	Data       map[string]string `yaml:"data,omitempty"`
	Spec       *k8sJobSpec       `yaml:"spec,omitempty"`
}

type k8sMeta struct {
	Name   string            `yaml:"name,omitempty"`
	Labels map[string]string `yaml:"labels,omitempty"`
}

type k8sJobSpec struct {
	CompletionMode       string         `yaml:"completionMode"`
	Completions          int            `yaml:"completions"`
	Parallelism          int            `yaml:"parallelism"`
	BackoffLimitPerIndex int            `yaml:"backoffLimitPerIndex"`
	Template             k8sPodTemplate `yaml:"template"`
}

type k8sPodTemplate struct {
	Metadata k8sMeta        `yaml:"metadata"`
	Spec     map[string]any `yaml:"spec"`
}

func (j K8sJob) check() error {
	var errs []error
	if !dnsLabel.MatchString(j.Name) {
		errs = append(errs, fmt.Errorf("--name %q: want lower-case letters, digits and '-', at most 53 characters", j.Name))
	}
	if j.Image == "" {
		errs = append(errs, errors.New("--image is empty"))
	}
	if j.Bench == "" {
		errs = append(errs, errors.New("the bench binary path is empty"))
	}
	if j.PVC == "" {
		errs = append(errs, errors.New("--pvc is empty"))
	}
	if j.Cells < 1 {
		errs = append(errs, errors.New("the plan has no cells"))
	}
	if j.Parallelism < 1 {
		errs = append(errs, fmt.Errorf("--parallelism %d: must be at least 1", j.Parallelism))
	}
	if j.GPUs < 0 {
		errs = append(errs, fmt.Errorf("--gpus %d: must not be negative", j.GPUs))
	}
	if j.BackoffPerIndex < 0 {
		errs = append(errs, fmt.Errorf("--retries %d: must not be negative", j.BackoffPerIndex))
	}
	if len(j.Plan) > configMapLimit {
		errs = append(errs, fmt.Errorf("the plan is %d bytes, more than a ConfigMap holds (1 MiB); split the matrix with --only", len(j.Plan)))
	}
	return errors.Join(errs...)
}
