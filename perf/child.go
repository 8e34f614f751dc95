package perf

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// ReferenceScript is perf/reference.py, carried in the binary so that `bench perf` runs from
// any directory.
//
//go:embed reference.py
var ReferenceScript []byte

// Runner starts the two sides' child processes.
type Runner struct {
	// Self is the bench binary; RunOurs runs in `Self perf --child ours '<workload>'`.
	Self string
	// Python is the interpreter with torch (Debian's python3-torch: /usr/bin/python3).
	Python string
	// Script is where reference.py was written.
	Script string
	// Env is added to both children's environment (thread counts for OpenMP and OpenBLAS).
	Env []string
	// Log receives the children's stderr.
	Log *os.File
}

// WriteScript writes the reference script into dir and remembers its path.
func (r *Runner) WriteScript(dir string) error {
	r.Script = filepath.Join(dir, "reference.py")
	if err := os.WriteFile(r.Script, ReferenceScript, 0o644); err != nil {
		return fmt.Errorf("write reference script: %w", err)
	}
	return nil
}

// ThreadEnv is the environment that pins both sides to n threads: libtorch's OpenMP pool is
// set by each side itself, and OpenBLAS keeps a pool of its own that only the environment sets.
// waitPolicy, unless empty, sets OMP_WAIT_POLICY: "passive" makes idle OpenMP threads sleep
// rather than spin. On a machine shared with other work, spinning threads wait for siblings
// that are not scheduled; a built-in fine-tuning step on 2 threads of a busy 2-core machine
// took 2.9 s of CPU time spinning against 0.2 s passive.
func ThreadEnv(n int, waitPolicy string) []string {
	s := strconv.Itoa(n)
	env := []string{"OMP_NUM_THREADS=" + s, "OPENBLAS_NUM_THREADS=" + s}
	if waitPolicy != "" {
		env = append(env, "OMP_WAIT_POLICY="+waitPolicy)
	}
	return env
}

// Ours runs w in a child bench process.
func (r *Runner) Ours(ctx context.Context, w Workload) (Measurement, error) {
	b, err := json.Marshal(w)
	if err != nil {
		return Measurement{}, err
	}
	return r.run(ctx, exec.CommandContext(ctx, r.Self, "perf", "--child", "ours", string(b)))
}

// Reference runs w in reference.py.
func (r *Runner) Reference(ctx context.Context, w Workload) (Measurement, error) {
	if w.BF16 {
		return Measurement{}, errors.New("the reference has no bf16 mode")
	}
	w.CPUProfile = ""
	b, err := json.Marshal(w)
	if err != nil {
		return Measurement{}, err
	}
	return r.run(ctx, exec.CommandContext(ctx, r.Python, r.Script, string(b)))
}

// run starts cmd and decodes the measurement it prints as its last stdout line.
func (r *Runner) run(ctx context.Context, cmd *exec.Cmd) (Measurement, error) {
	var m Measurement
	if err := r.runJSON(ctx, cmd, &m); err != nil {
		return Measurement{}, err
	}
	if m.Steps < 1 || !(m.StepsPerS > 0) {
		return Measurement{}, fmt.Errorf("%s: measurement has %d steps at %g steps/s", filepath.Base(cmd.Path), m.Steps, m.StepsPerS)
	}
	return m, nil
}

// runJSON starts cmd with the runner's environment and decodes the JSON value it prints as
// its last stdout line into v.
func (r *Runner) runJSON(ctx context.Context, cmd *exec.Cmd, v any) error {
	cmd.Env = append(os.Environ(), r.Env...)
	var out, errBuf bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errBuf
	err := cmd.Run()
	if r.Log != nil && errBuf.Len() > 0 {
		_, _ = r.Log.Write(errBuf.Bytes())
	}
	name := filepath.Base(cmd.Path)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s: %w: %s", name, err, lastLines(errBuf.String(), 5))
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), v); err != nil {
		return fmt.Errorf("%s: reading its measurement: %w (output %q)", name, err, lastLines(out.String(), 3))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
