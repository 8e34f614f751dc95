package torchrt

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/libtch"
)

// LockThread pins the calling goroutine to its OS thread so that libtorch's per-thread state
// (grad mode, thread count) stays with it. Call it at the top of any goroutine using tensors.
func LockThread() { runtime.LockOSThread() }

// Info describes the runtime for provenance and `bench version`.
type Info struct {
	Go              string   `json:"go"`
	Gotch           string   `json:"gotch"`
	Libtorch        string   `json:"libtorch"`
	LibtorchRoot    string   `json:"libtorch_root"`
	BLAS            string   `json:"blas"`
	BLASCore        BLASCore `json:"blas_core,omitempty"`
	Threads         int      `json:"threads"`
	WaitPolicy      string   `json:"omp_wait_policy,omitempty"`
	CUDA            bool     `json:"cuda_available"`
	CUDADeviceCount int      `json:"cuda_devices"`
	Device          string   `json:"device"`
	DeviceName      string   `json:"device_name"`
}

// Describe gathers Info for the device that spec would select.
func Describe(spec string) (Info, error) {
	dev, err := ParseDevice(spec)
	if err != nil {
		return Info{}, err
	}
	in := Info{
		Go:           runtime.Version(),
		Gotch:        moduleVersion("github.com/sugarme/gotch"),
		Libtorch:     libtch.PreparedLibtorchVersion,
		LibtorchRoot: libtch.PreparedLibtorchRoot,
		BLAS:         BLAS(),
		BLASCore:     DescribeBLASCore(),
		Threads:      NumThreads(),
		WaitPolicy:   WaitPolicy(),
		CUDA:         libtch.AtcCudaIsAvailable(),
		Device:       DeviceString(dev),
		DeviceName:   DeviceName(dev),
	}
	if in.CUDA {
		in.CUDADeviceCount = int(libtch.AtcCudaDeviceCount())
	}
	return in, nil
}

// moduleVersion reports the version of a dependency as built into this binary. Test binaries
// and `go run` may not carry module information; then the version in go.mod is unknown here.
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			v := d.Version
			if d.Replace != nil {
				v += " (prepared copy " + d.Replace.Path + ")"
			}
			return v
		}
	}
	return "unknown"
}

// BLAS names the BLAS library mapped into this process. Debian's libtorch calls the system
// libblas.so.3, whose target is chosen by update-alternatives (reference BLAS is ~10× slower
// than OpenBLAS for BERT); official libtorch builds carry MKL inside libtorch_cpu.
func BLAS() string {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer f.Close()
	seen := map[string]bool{}
	var libs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			continue
		}
		p := fields[len(fields)-1]
		base := strings.ToLower(filepath.Base(p))
		if !(strings.Contains(base, "blas") || strings.Contains(base, "mkl_") || strings.Contains(base, "libmkl")) || seen[p] {
			continue
		}
		seen[p] = true
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		libs = append(libs, p)
	}
	if len(libs) == 0 {
		return "none mapped (BLAS built into libtorch, e.g. MKL)"
	}
	return strings.Join(libs, ", ")
}

// BLASKind reduces a BLAS description to a short name: "openblas", "reference", "mkl", ...
func BLASKind(desc string) string {
	d := strings.ToLower(desc)
	switch {
	case strings.Contains(d, "openblas"):
		return "openblas"
	case strings.Contains(d, "mkl"):
		return "mkl"
	case strings.Contains(d, "blis"):
		return "blis"
	case strings.Contains(d, "atlas"):
		return "atlas"
	case strings.Contains(d, "libblas.so"):
		return "reference"
	}
	return "unknown"
}

// ParseDevice turns "auto", "cpu", "cuda" or "cuda:N" into a gotch device. "auto" picks the
// first GPU when libtorch sees one.
func ParseDevice(spec string) (gotch.Device, error) {
	switch s := strings.ToLower(strings.TrimSpace(spec)); {
	case s == "" || s == "auto":
		return gotch.CudaIfAvailable(), nil
	case s == "cpu":
		return gotch.CPU, nil
	case s == "cuda" || s == "gpu" || strings.HasPrefix(s, "cuda:"):
		if !libtch.AtcCudaIsAvailable() {
			return gotch.CPU, fmt.Errorf("device %q: libtorch %s sees no CUDA device (is LIBTORCH a CUDA build?)", spec, libtch.PreparedLibtorchVersion)
		}
		idx := 0
		if strings.HasPrefix(s, "cuda:") {
			n, err := strconv.Atoi(strings.TrimPrefix(s, "cuda:"))
			if err != nil || n < 0 {
				return gotch.CPU, fmt.Errorf("device %q: bad CUDA index", spec)
			}
			idx = n
		}
		if cnt := int(libtch.AtcCudaDeviceCount()); idx >= cnt {
			return gotch.CPU, fmt.Errorf("device %q: only %d CUDA device(s)", spec, cnt)
		}
		return gotch.CudaBuilder(uint(idx)), nil
	default:
		return gotch.CPU, fmt.Errorf("device %q: want auto, cpu, cuda or cuda:N", spec)
	}
}

// DeviceString is the canonical name of a device: "cpu" or "cuda:N".
func DeviceString(d gotch.Device) string {
	if d.IsCuda() {
		return fmt.Sprintf("cuda:%d", d.Value)
	}
	return "cpu"
}

// DeviceName is a human description of the hardware behind a device.
func DeviceName(d gotch.Device) string {
	if d.IsCuda() {
		out, err := exec.Command("nvidia-smi", "--query-gpu=name", "--format=csv,noheader", "-i", strconv.Itoa(int(d.Value))).Output()
		if err == nil {
			return strings.TrimSpace(string(out))
		}
		return "CUDA device " + strconv.Itoa(int(d.Value))
	}
	name := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				if i := strings.Index(line, ":"); i >= 0 {
					name = strings.TrimSpace(line[i+1:])
				}
				break
			}
		}
	}
	return fmt.Sprintf("%s (%d logical cores)", name, runtime.NumCPU())
}
