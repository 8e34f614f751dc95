package torchrt

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// OpenBLAS picks its compute kernels once, when it is loaded, from the CPU's family and model
// number (DYNAMIC_ARCH builds such as Debian's). A CPU newer than the OpenBLAS release is not in
// its tables, and it falls back to a generic kernel: Debian's 0.3.21 runs its SSE "Prescott"
// kernel on current Xeons with AVX-512, 28–35 GFLOP/s of fp32 GEMM at BERT-base shapes on 2
// cores instead of 205 with the SkylakeX kernel. OPENBLAS_CORETYPE overrides the choice, and like
// OMP_WAIT_POLICY it is read at load time, so bench sets it by re-executing itself (EnsureEnv).
//
// The choice is by feature flags, not by model number, so it also covers CPUs no table knows yet.
// It only ever raises the kernel from one OpenBLAS did not tune for the CPU: when OpenBLAS knew the
// CPU (Haswell, Zen, SkylakeX, ...) its choice stands. A set OPENBLAS_CORETYPE is never changed:
// some machines set it because certain kernels crash or compute wrong results there.

// CoreEnv is the environment variable OpenBLAS reads its kernel choice from.
const CoreEnv = "OPENBLAS_CORETYPE"

// coreChoiceEnv carries, into the re-executed process, why bench set OPENBLAS_CORETYPE.
const coreChoiceEnv = "CLUE_BENCH_BLAS_CHOICE"

// probeEnv makes a bench process answer the GEMM probe (ServeBLASProbe) instead of running.
const probeEnv = "CLUE_BENCH_BLAS_PROBE"

// coreRule is one row of the choice table: the OPENBLAS_CORETYPE value for a CPU of this vendor
// ("" = any) that has every one of these /proc/cpuinfo flags. Rows are best first.
type coreRule struct {
	vendor string
	core   string
	flags  []string
}

var avx512 = []string{"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}

// coreTable names OpenBLAS 0.3.21's x86-64 kernels by what they need. Cooperlake is SkylakeX
// plus the AVX512-BF16 instructions; on AMD the Zen kernels are the ones OpenBLAS tunes for, so
// an AMD CPU never gets an Intel kernel from this table.
var coreTable = []coreRule{
	{"GenuineIntel", "COOPERLAKE", append([]string{"avx512_bf16"}, avx512...)},
	{"GenuineIntel", "SKYLAKEX", avx512},
	{"GenuineIntel", "HASWELL", []string{"avx2", "fma"}},
	{"AuthenticAMD", "ZEN", []string{"avx2", "fma"}},
	{"GenuineIntel", "SANDYBRIDGE", []string{"avx"}},
}

// coreRank orders kernels by the instructions they use, by the lower-case name OpenBLAS
// reports (openblas_get_corename). A name not listed ranks 0: a generic kernel.
var coreRank = map[string]int{
	"sandybridge": 1, "bulldozer": 1, "piledriver": 1, "steamroller": 1, "excavator": 1,
	"haswell": 2, "zen": 2,
	"skylakex":   3,
	"cooperlake": 4, "sapphirerapids": 4,
}

// CPUInfo is what the kernel choice needs to know about the processor.
type CPUInfo struct {
	Vendor string
	Flags  map[string]bool
}

// ReadCPUInfo reads the first processor's vendor and flags from a /proc/cpuinfo-style file.
func ReadCPUInfo(path string) (CPUInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return CPUInfo{}, err
	}
	defer f.Close()
	return parseCPUInfo(f)
}

func parseCPUInfo(r io.Reader) (CPUInfo, error) {
	info := CPUInfo{Flags: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20) // the flags line is a few kB
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" && info.Vendor != "" {
			break // end of the first processor's block
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "vendor_id":
			info.Vendor = strings.TrimSpace(val)
		case "flags":
			for _, fl := range strings.Fields(val) {
				info.Flags[fl] = true
			}
		}
	}
	return info, sc.Err()
}

// BestCore is the best OPENBLAS_CORETYPE the choice table gives this CPU ("" when none fits).
func BestCore(cpu CPUInfo) string {
next:
	for _, r := range coreTable {
		if r.vendor != "" && r.vendor != cpu.Vendor {
			continue
		}
		for _, f := range r.flags {
			if !cpu.Flags[f] {
				continue next
			}
		}
		return r.core
	}
	return ""
}

// CoreUpgrade returns the kernel to use instead of the one OpenBLAS selected (its
// openblas_get_corename), or "" to keep it: only a kernel OpenBLAS did not tune for this CPU
// (rank below Haswell/Zen) is replaced, and only by a better one.
func CoreUpgrade(cpu CPUInfo, selected string) string {
	best := BestCore(cpu)
	if best == "" {
		return ""
	}
	have := coreRank[strings.ToLower(selected)]
	if have >= coreRank["haswell"] || coreRank[strings.ToLower(best)] <= have {
		return ""
	}
	return best
}

// BLASCore is the kernel OpenBLAS runs ("" when the BLAS in use is not OpenBLAS), with how it was
// chosen, for `bench version` and every result's provenance.
type BLASCore struct {
	Core    string `json:"core,omitempty"`
	Threads int    `json:"threads,omitempty"`
	Choice  string `json:"choice,omitempty"`
}

// DescribeBLASCore reports the OpenBLAS kernel and thread count of this process and why that
// kernel runs.
func DescribeBLASCore() BLASCore {
	core, threads := openblasCore()
	if core == "" {
		return BLASCore{}
	}
	c := BLASCore{Core: core, Threads: threads}
	switch why, set := os.LookupEnv(coreChoiceEnv); {
	case set && os.Getenv(CoreEnv) != "":
		c.Choice = why
	case os.Getenv(CoreEnv) != "":
		c.Choice = CoreEnv + "=" + os.Getenv(CoreEnv) + " set in the environment"
	default:
		c.Choice = "selected by OpenBLAS"
	}
	return c
}

// chooseCore decides the OPENBLAS_CORETYPE to run under when it is unset, given the kernel
// OpenBLAS selected: it asks the choice table, then checks the candidate in a child process
// (probe) on GEMMs whose every product and sum is exact in fp32, so any correct kernel gives the
// same bits as the default one. It returns the core and a sentence saying why, or "" and why not.
func chooseCore(selected string, cpu CPUInfo, probe func(core string) (probeResult, error)) (string, string) {
	if selected == "" {
		return "", "no OpenBLAS in this process"
	}
	cand := CoreUpgrade(cpu, selected)
	if cand == "" {
		return "", "kept OpenBLAS's choice " + selected
	}
	want := probeGEMM()
	got, err := probe(cand)
	switch {
	case err != nil:
		return "", fmt.Sprintf("kept %s: the %s kernel failed a test GEMM: %v", selected, cand, err)
	case !strings.EqualFold(got.core, cand):
		return "", fmt.Sprintf("kept %s: OpenBLAS ran %q when asked for %s", selected, got.core, cand)
	case got.sum != want:
		return "", fmt.Sprintf("kept %s: the %s kernel's test GEMM differs from the default kernel's", selected, cand)
	}
	return cand, fmt.Sprintf("%s=%s set by bench: OpenBLAS fell back to its generic %s kernel on a CPU that has the %s kernel's instructions; a test GEMM gave the same bits", CoreEnv, cand, selected, cand)
}

// upgradeCore is chooseCore for this process and machine (x86-64 only: the table is x86's).
func upgradeCore() (string, string) {
	if runtime.GOARCH != "amd64" {
		return "", "not x86-64"
	}
	cpu, err := ReadCPUInfo("/proc/cpuinfo")
	if err != nil {
		return "", err.Error()
	}
	selected, _ := openblasCore()
	return chooseCore(selected, cpu, runProbe)
}

// probeResult is what a probe child reports: the kernel it ran and the checksum of its GEMMs.
type probeResult struct{ core, sum string }

// probeTimeout bounds a probe child: it loads libtorch and runs four small GEMMs (well under
// a second here).
const probeTimeout = 30 * time.Second

// runProbe runs this executable as a probe child with OPENBLAS_CORETYPE=core.
func runProbe(core string) (probeResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return probeResult{}, err
	}
	// A child that does not answer within probeTimeout failed the test: a kernel that hangs
	// is no better than one that crashes.
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), CoreEnv+"="+core, probeEnv+"=1", "OMP_WAIT_POLICY="+DefaultWaitPolicy)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return probeResult{}, fmt.Errorf("%v %s", err, strings.TrimSpace(stderr.String()))
	}
	core, sum, ok := strings.Cut(strings.TrimSpace(string(out)), " ")
	if !ok {
		return probeResult{}, fmt.Errorf("unexpected probe output %q", out)
	}
	return probeResult{core: core, sum: sum}, nil
}

// ServeBLASProbe answers a GEMM probe when this process was started as one: it prints the
// kernel OpenBLAS runs and the checksum of the test GEMMs and returns true; the caller exits.
// Call it first thing in main, before EnsureEnv.
func ServeBLASProbe(w io.Writer) bool {
	if os.Getenv(probeEnv) != "1" {
		return false
	}
	core, _ := openblasCore()
	fmt.Fprintf(w, "%s %s\n", core, probeGEMM())
	return true
}

// probeShapes mix a size that runs the kernel's inner loop many times with odd sizes that
// run its edge cases, in both layouts libtorch uses for linear layers.
var probeShapes = []struct {
	m, n, k int
	transB  bool
}{
	{256, 256, 256, false},
	{256, 256, 256, true},
	{67, 45, 129, false},
	{33, 97, 70, true},
}

// probeGEMM runs the test GEMMs through the BLAS this process loaded and returns the sha256 of
// the results. Inputs are small integers (−4…4), so with k ≤ 512 every partial sum is an
// integer below 2^24: exact in fp32 whatever order a kernel adds in.
func probeGEMM() string {
	h := sha256.New()
	seed := uint32(1)
	next := func() float32 {
		seed = seed*1664525 + 1013904223
		return float32(int(seed>>24)%9 - 4)
	}
	for _, s := range probeShapes {
		a := make([]float32, s.m*s.k)
		b := make([]float32, s.k*s.n)
		for i := range a {
			a[i] = next()
		}
		for i := range b {
			b[i] = next()
		}
		c := sgemm(s.m, s.n, s.k, a, b, s.transB)
		if c == nil {
			return "no-sgemm"
		}
		_ = binary.Write(h, binary.LittleEndian, c)
	}
	return hex.EncodeToString(h.Sum(nil))
}
