package torchrt

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary doubles as the probe child that chooseCore starts (runProbe runs
// os.Executable with the probe variable set).
func TestMain(m *testing.M) {
	if ServeBLASProbe(os.Stdout) {
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func cpu(vendor string, flags ...string) CPUInfo {
	c := CPUInfo{Vendor: vendor, Flags: map[string]bool{}}
	for _, f := range flags {
		c.Flags[f] = true
	}
	return c
}

var (
	sse       = []string{"sse", "sse2", "ssse3", "sse4_1", "sse4_2"}
	avx2      = append([]string{"avx", "avx2", "fma"}, sse...)
	avx512all = append(append([]string{}, avx2...), avx512...)
)

func TestCoreUpgrade(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cpu      CPUInfo
		selected string
		want     string
	}{
		{"xeon with avx-512 left on prescott", cpu("GenuineIntel", avx512all...), "Prescott", "SKYLAKEX"},
		{"xeon with avx512_bf16 left on prescott", cpu("GenuineIntel", append(avx512all, "avx512_bf16")...), "Prescott", "COOPERLAKE"},
		{"avx-512 without avx512vl", cpu("GenuineIntel", append(avx2, "avx512f", "avx512cd", "avx512bw", "avx512dq")...), "Prescott", "HASWELL"},
		{"avx2 intel left on core2", cpu("GenuineIntel", avx2...), "Core2", "HASWELL"},
		{"avx only, nehalem selected", cpu("GenuineIntel", append(sse, "avx")...), "Nehalem", "SANDYBRIDGE"},
		{"sandybridge already selected", cpu("GenuineIntel", append(sse, "avx")...), "Sandybridge", ""},
		{"no avx at all", cpu("GenuineIntel", sse...), "Prescott", ""},
		{"known intel cpu: haswell kept", cpu("GenuineIntel", avx512all...), "Haswell", ""},
		{"known intel cpu: skylakex kept", cpu("GenuineIntel", avx512all...), "SkylakeX", ""},
		{"amd zen kept", cpu("AuthenticAMD", avx2...), "Zen", ""},
		{"amd with avx-512 keeps zen", cpu("AuthenticAMD", avx512all...), "Zen", ""},
		{"amd left on a generic kernel", cpu("AuthenticAMD", avx2...), "Barcelona", "ZEN"},
		{"amd with avx-512 never gets an intel kernel", cpu("AuthenticAMD", append(avx512all, "avx512_bf16")...), "Prescott", "ZEN"},
		{"unknown vendor", cpu("HygonGenuine", avx2...), "Prescott", ""},
		{"case of the selected name", cpu("GenuineIntel", avx512all...), "SKYLAKEX", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CoreUpgrade(tc.cpu, tc.selected); got != tc.want {
				t.Errorf("CoreUpgrade(%s) = %q, want %q", tc.selected, got, tc.want)
			}
		})
	}
}

func TestParseCPUInfo(t *testing.T) {
	const text = `processor	: 0
vendor_id	: GenuineIntel
model name	: Some Xeon
flags		: fpu sse2 avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl

processor	: 1
vendor_id	: AuthenticAMD
flags		: fpu
`
	info, err := parseCPUInfo(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if info.Vendor != "GenuineIntel" || !info.Flags["avx512vl"] || info.Flags["sse4_2"] || len(info.Flags) != 10 {
		t.Fatalf("parsed %+v", info)
	}
	if got := BestCore(info); got != "SKYLAKEX" {
		t.Errorf("BestCore = %q", got)
	}
}

func TestChooseCore(t *testing.T) {
	intel := cpu("GenuineIntel", avx512all...)
	good := func(core string) (probeResult, error) { return probeResult{core: "SkylakeX", sum: probeGEMM()}, nil }
	for _, tc := range []struct {
		name     string
		selected string
		probe    func(string) (probeResult, error)
		want     string
		why      string
	}{
		{"upgraded after the probe agrees", "Prescott", good, "SKYLAKEX", "same bits"},
		{"no openblas", "", good, "", "no OpenBLAS"},
		{"known cpu", "Haswell", good, "", "kept OpenBLAS's choice Haswell"},
		{"probe crashed", "Prescott", func(string) (probeResult, error) { return probeResult{}, errors.New("signal: illegal instruction") }, "", "illegal instruction"},
		{"kernel not taken", "Prescott", func(string) (probeResult, error) { return probeResult{core: "Prescott", sum: probeGEMM()}, nil }, "", `ran "Prescott"`},
		{"different numbers", "Prescott", func(string) (probeResult, error) { return probeResult{core: "SkylakeX", sum: "0"}, nil }, "", "differs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := chooseCore(tc.selected, intel, tc.probe)
			if got != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("chooseCore = %q, %q; want %q and a reason containing %q", got, why, tc.want, tc.why)
			}
		})
	}
}

// The probe's claim: its GEMMs are exact, so every kernel this CPU can run gives the same bits
// as the one OpenBLAS selected. Checked on each kernel of the table the CPU supports, in child
// processes with OPENBLAS_CORETYPE set.
func TestProbeGEMMSameBitsOnEveryKernel(t *testing.T) {
	selected, _ := openblasCore()
	if selected == "" {
		t.Skip("no OpenBLAS in this process")
	}
	info, err := ReadCPUInfo("/proc/cpuinfo")
	if err != nil {
		t.Skip(err)
	}
	want := probeGEMM()
	tried := 0
	for _, r := range coreTable {
		if r.vendor != info.Vendor || !hasAll(info, r.flags) {
			continue
		}
		got, err := runProbe(r.core)
		if err != nil {
			t.Fatalf("%s: %v", r.core, err)
		}
		if !strings.EqualFold(got.core, r.core) {
			t.Errorf("asked for %s, OpenBLAS ran %s", r.core, got.core)
		}
		if got.sum != want {
			t.Errorf("%s: probe GEMM differs from %s's", r.core, selected)
		}
		tried++
	}
	t.Logf("selected %s; %d other kernels gave the same bits", selected, tried)
}

func hasAll(c CPUInfo, flags []string) bool {
	for _, f := range flags {
		if !c.Flags[f] {
			return false
		}
	}
	return true
}

// A set OPENBLAS_CORETYPE is never replaced, and what runs is reported as set by the user; an
// unset one ends as the choice table and probe decide.
func TestEnsureEnvCoreType(t *testing.T) {
	switch os.Getenv("TORCHRT_CORE_HELPER") {
	case "raw": // what OpenBLAS selects on its own
		core, _ := openblasCore()
		fmt.Printf("core=%s\n", core)
		os.Exit(0)
	case "1":
		EnsureEnv()
		c := DescribeBLASCore()
		fmt.Printf("core=%s env=%q choice=%q\n", c.Core, os.Getenv(CoreEnv), c.Choice)
		os.Exit(0)
	}
	selected, _ := openblasCore()
	if selected == "" {
		t.Skip("no OpenBLAS in this process")
	}
	helper := func(env ...string) string {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnsureEnvCoreType$")
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, CoreEnv+"=") && !strings.HasPrefix(kv, reexecMarker+"=") && !strings.HasPrefix(kv, coreChoiceEnv+"=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(append(cmd.Env, "TORCHRT_CORE_HELPER=1"), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	// A kernel every x86-64 OpenBLAS has, and rarely the one it would select.
	if out := helper(CoreEnv + "=NEHALEM"); !strings.Contains(out, `core=Nehalem env="NEHALEM"`) || !strings.Contains(out, "set in the environment") {
		t.Errorf("set OPENBLAS_CORETYPE not respected: %s", out)
	}
	out := helper()
	// What OpenBLAS selects with the variable unset (this test process may run under one; an
	// empty value is not the same as unset to OpenBLAS).
	defCore := strings.TrimPrefix(helper("TORCHRT_CORE_HELPER=raw"), "core=")
	info, err := ReadCPUInfo("/proc/cpuinfo")
	if err != nil {
		t.Skip(err)
	}
	if up := CoreUpgrade(info, defCore); up != "" {
		if !strings.Contains(out, `env="`+up+`"`) || !strings.Contains(out, "set by bench") {
			t.Errorf("OpenBLAS selects %s here, so bench should have chosen %s: %s", defCore, up, out)
		}
	} else if !strings.Contains(out, "core="+defCore+" ") || !strings.Contains(out, "selected by OpenBLAS") {
		t.Errorf("OpenBLAS's choice %s should stand: %s", defCore, out)
	}
	t.Logf("default %s; unset → %s", defCore, out)
}
