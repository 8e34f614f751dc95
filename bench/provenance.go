package bench

import (
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/clue-bench/clue-bench/bench/results"
	"github.com/clue-bench/clue-bench/internal/procfs"
)

type gitInfo struct {
	commit string
	dirty  bool
}

// readGit describes the working tree the binary runs from, if it is a git checkout.
func readGit() gitInfo {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return gitInfo{commit: "unknown"}
	}
	g := gitInfo{commit: strings.TrimSpace(string(out))}
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
		g.dirty = len(strings.TrimSpace(string(st))) > 0
	}
	return g
}

func provenance(env cellEnv, seed int64, start time.Time) results.Provenance {
	host, _ := os.Hostname()
	return results.Provenance{
		GitCommit: env.provGit.commit, GitDirty: env.provGit.dirty,
		Go: env.runtime.Go, Gotch: env.runtime.Gotch, Libtorch: env.runtime.Libtorch, BLAS: env.runtime.BLAS,
		BLASCore: env.runtime.BLASCore.Core, BLASThreads: env.runtime.BLASCore.Threads, BLASChoice: env.runtime.BLASCore.Choice,
		Threads: env.threadsOn, Device: env.runtime.Device, DeviceName: env.runtime.DeviceName,
		Host: host, Seed: seed, StartedAt: start.UTC(), FinishedAt: time.Now().UTC(),
	}
}

// resetPeakRSS resets the kernel's high-water mark of this process's resident memory so that
// each cell reports its own peak. Where /proc has no clear_refs the peak is since start, which
// the result still records.
func resetPeakRSS() { _ = procfs.ResetPeak() }

// peakRSSMiB reads VmHWM, the peak resident set size since the last reset (0 where unknown).
func peakRSSMiB() float64 { return selfMiB("VmHWM") }

// RSSMiB reads the current resident set size (0 where unknown).
func RSSMiB() float64 { return selfMiB("VmRSS") }

// selfMiB reads a kB field of this process's status in MiB: memory figures are reported,
// never acted on, so one that cannot be read is 0 rather than an error.
func selfMiB(field string) float64 {
	kb, err := procfs.StatusKB(0, field)
	if err != nil {
		return 0
	}
	return kb / 1024
}
