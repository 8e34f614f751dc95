package scale

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func k8sJob() K8sJob {
	return K8sJob{Name: "clue-paper", Image: "registry.example/clue-bench:1", Bench: "/usr/local/bin/bench",
		Plan: []byte("{\n  \"schema\": 1,\n  \"cells\": []\n}\n"), Cells: 150, Parallelism: 8, PVC: "clue-results", GPUs: 1, BackoffPerIndex: 2}
}

// decode splits a manifest into its documents, as kubectl apply -f reads them.
func decode(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("manifest is not YAML: %v\n%s", err, b)
		}
		docs = append(docs, d)
	}
}

// at walks a decoded document: string keys index maps, ints index lists.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: not a map: %#v", path, v)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("at %v: not a list of %d: %#v", path, k+1, v)
			}
			v = l[k]
		}
	}
	return v
}

func TestK8sManifestStructure(t *testing.T) {
	b, err := k8sJob().Manifest()
	if err != nil {
		t.Fatal(err)
	}
	docs := decode(t, b)
	if len(docs) != 2 {
		t.Fatalf("want a ConfigMap and a Job, got %d documents", len(docs))
	}
	cm, job := docs[0], docs[1]
	checks := []struct {
		doc  map[string]any
		path []any
		want any
	}{
		{cm, []any{"kind"}, "ConfigMap"},
		{cm, []any{"metadata", "name"}, "clue-paper-plan"},
		{cm, []any{"data", "plan.json"}, string(k8sJob().Plan)},
		{job, []any{"apiVersion"}, "batch/v1"},
		{job, []any{"kind"}, "Job"},
		{job, []any{"metadata", "name"}, "clue-paper"},
		{job, []any{"spec", "completionMode"}, "Indexed"},
		{job, []any{"spec", "completions"}, 150},
		{job, []any{"spec", "parallelism"}, 8},
		{job, []any{"spec", "backoffLimitPerIndex"}, 2},
		{job, []any{"spec", "template", "spec", "restartPolicy"}, "Never"},
		{job, []any{"spec", "template", "spec", "containers", 0, "image"}, "registry.example/clue-bench:1"},
		{job, []any{"spec", "template", "spec", "containers", 0, "command", 0}, "/usr/local/bin/bench"},
		{job, []any{"spec", "template", "spec", "containers", 0, "resources", "limits", "nvidia.com/gpu"}, 1},
		{job, []any{"spec", "template", "spec", "containers", 0, "volumeMounts", 0, "mountPath"}, K8sVolume},
		{job, []any{"spec", "template", "spec", "containers", 0, "volumeMounts", 1, "mountPath"}, K8sPlanDir},
		{job, []any{"spec", "template", "spec", "containers", 0, "env", 0, "value"}, K8sCacheDir},
		{job, []any{"spec", "template", "spec", "volumes", 0, "persistentVolumeClaim", "claimName"}, "clue-results"},
		{job, []any{"spec", "template", "spec", "volumes", 1, "configMap", "name"}, "clue-paper-plan"},
	}
	for _, c := range checks {
		if got := at(t, c.doc, c.path...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v = %#v, want %#v", c.path, got, c.want)
		}
	}
	var args []string
	for _, a := range at(t, job, "spec", "template", "spec", "containers", 0, "args").([]any) {
		args = append(args, a.(string))
	}
	want := "run-cell --plan /plan/plan.json --index $(JOB_COMPLETION_INDEX) --out /bench/results --device cuda --wait"
	if got := strings.Join(args, " "); got != want {
		t.Errorf("args = %q, want %q", got, want)
	}
}

func TestK8sManifestCPU(t *testing.T) {
	j := k8sJob()
	j.GPUs = 0
	b, err := j.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	c := at(t, decode(t, b)[1], "spec", "template", "spec", "containers", 0).(map[string]any)
	if _, ok := c["resources"]; ok {
		t.Errorf("a CPU job requests resources: %v", c["resources"])
	}
	if !strings.Contains(strings.Join(toStrings(c["args"]), " "), "--device cpu") {
		t.Errorf("a CPU job does not run on the CPU: %v", c["args"])
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestK8sManifestRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(*K8sJob)
		want string
	}{
		{"upper-case name", func(j *K8sJob) { j.Name = "Clue" }, `--name "Clue"`},
		{"no image", func(j *K8sJob) { j.Image = "" }, "--image"},
		{"no pvc", func(j *K8sJob) { j.PVC = "" }, "--pvc"},
		{"no parallelism", func(j *K8sJob) { j.Parallelism = 0 }, "--parallelism 0"},
		{"negative gpus", func(j *K8sJob) { j.GPUs = -1 }, "--gpus -1"},
		{"no cells", func(j *K8sJob) { j.Cells = 0 }, "no cells"},
		{"huge plan", func(j *K8sJob) { j.Plan = bytes.Repeat([]byte("x"), 2<<20) }, "more than a ConfigMap holds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := k8sJob()
			tc.edit(&j)
			if _, err := j.Manifest(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
