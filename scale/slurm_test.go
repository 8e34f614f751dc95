package scale

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func gpuJob() SlurmJob {
	return SlurmJob{Name: "clue-bench", Bench: "/opt/clue-bench/bin/bench", Plan: "/shared/results/plan.json",
		Out: "/shared/results", Cells: 150, MaxParallel: 8, Partition: "gpu", GPUsPerTask: 1, CPUsPerTask: 4, Time: "04:00"}
}

func TestSlurmScriptGolden(t *testing.T) {
	cpu := gpuJob()
	cpu.GPUsPerTask, cpu.CPUsPerTask, cpu.MaxParallel, cpu.Partition, cpu.Time, cpu.Cells = 0, 0, 0, "", "", 6
	cpu.Bench = "/home/me/it's/bench" // quoted in the command line, where a shell reads it
	tests := []struct {
		name string
		job  SlurmJob
	}{
		{"gpu", gpuJob()},
		{"cpu", cpu},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.job.Script()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".sbatch")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./scale -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("script differs from %s:\n%s", golden, got)
			}
		})
	}
}

// TestSlurmScriptLines checks the directive that each flag promises, independent of
// the golden files' layout.
func TestSlurmScriptLines(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*SlurmJob)
		want, not []string
	}{
		{"gpu", func(*SlurmJob) {}, []string{"#SBATCH --array=0-149%8\n", "#SBATCH --gres=gpu:1\n", "#SBATCH --time=04:00:00\n",
			"#SBATCH --output=/shared/results/slurm/%A_%a.log\n", "#SBATCH --partition=gpu\n", "#SBATCH --cpus-per-task=4\n",
			`--index "$SLURM_ARRAY_TASK_ID"`, "--device cuda --threads 4 --wait\n"}, nil},
		{"cpu cluster", func(j *SlurmJob) { j.GPUsPerTask = 0 }, []string{"--device cpu"}, []string{"--gres", "cuda"}},
		{"no limits", func(j *SlurmJob) { j.MaxParallel, j.Time, j.Partition, j.CPUsPerTask = 0, "", "", 0 },
			[]string{"#SBATCH --array=0-149\n"}, []string{"%8", "--time", "--partition", "--cpus-per-task", "--threads"}},
		{"two gpus", func(j *SlurmJob) { j.GPUsPerTask = 2 }, []string{"#SBATCH --gres=gpu:2\n"}, nil},
		{"one cell", func(j *SlurmJob) { j.Cells = 1 }, []string{"#SBATCH --array=0-0%8\n"}, nil},
		{"days", func(j *SlurmJob) { j.Time = "1-12:30" }, []string{"#SBATCH --time=1-12:30:00\n"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := gpuJob()
			tc.edit(&j)
			s, err := j.Script()
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("script lacks %q:\n%s", w, s)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(s, n) {
					t.Errorf("script has %q:\n%s", n, s)
				}
			}
		})
	}
}

func TestSlurmScriptRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(*SlurmJob)
		want string
	}{
		{"no cells", func(j *SlurmJob) { j.Cells = 0 }, "no cells"},
		{"negative parallel", func(j *SlurmJob) { j.MaxParallel = -1 }, "--max-parallel -1"},
		{"negative gpus", func(j *SlurmJob) { j.GPUsPerTask = -1 }, "--gpus-per-task -1"},
		{"negative cpus", func(j *SlurmJob) { j.CPUsPerTask = -2 }, "--cpus-per-task -2"},
		{"bad time", func(j *SlurmJob) { j.Time = "4h" }, `--time "4h"`},
		{"minutes", func(j *SlurmJob) { j.Time = "04:75" }, "below 60"},
		{"relative out", func(j *SlurmJob) { j.Out = "results" }, `results directory "results": must be an absolute path`},
		{"space in plan", func(j *SlurmJob) { j.Plan = "/my plans/p.json" }, "cannot hold spaces"},
		{"partition", func(j *SlurmJob) { j.Partition = "a b" }, "--partition"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := gpuJob()
			tc.edit(&j)
			_, err := j.Script()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSlurmTime(t *testing.T) {
	tests := []struct{ in, want string }{
		{"04:00", "04:00:00"}, {"4:30", "4:30:00"}, {"100:00", "100:00:00"}, {"01:02:03", "01:02:03"},
		{"2-00:00", "2-00:00:00"}, {"2-01:00:30", "2-01:00:30"}, {"", ""}, {"60", ""}, {"1:2", ""}, {"1:00:60", ""},
	}
	for _, tc := range tests {
		got, err := SlurmTime(tc.in)
		if (err != nil) != (tc.want == "") || got != tc.want {
			t.Errorf("SlurmTime(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/opt/bin/bench", "/opt/bin/bench"}, {"", "''"}, {"a b", "'a b'"}, {"it's", `'it'\''s'`}, {"$HOME", "'$HOME'"},
	}
	for _, tc := range tests {
		if got := shellQuote(tc.in); got != tc.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
