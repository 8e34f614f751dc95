package bench

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
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

func provenance(env cellEnv, seed int64, start time.Time) Provenance {
	host, _ := os.Hostname()
	return Provenance{
		GitCommit: env.provGit.commit, GitDirty: env.provGit.dirty,
		Go: env.runtime.Go, Gotch: env.runtime.Gotch, Libtorch: env.runtime.Libtorch, BLAS: env.runtime.BLAS,
		Threads: env.threadsOn, Device: env.runtime.Device, DeviceName: env.runtime.DeviceName,
		Host: host, Seed: seed, StartedAt: start.UTC(), FinishedAt: time.Now().UTC(),
	}
}

// resetPeakRSS resets the kernel's high-water mark of this process's resident memory so that
// each cell reports its own peak (Linux: writing 5 to clear_refs).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMiB reads VmHWM, the peak resident set size since the last reset.
func peakRSSMiB() float64 { return procStatusKB("VmHWM") / 1024 }

// RSSMiB reads the current resident set size.
func RSSMiB() float64 { return procStatusKB("VmRSS") / 1024 }

func procStatusKB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			fs := strings.Fields(v)
			if len(fs) > 0 {
				n, _ := strconv.ParseFloat(fs[0], 64)
				return n
			}
		}
	}
	return 0
}
