package torchrt

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestThreads(t *testing.T) {
	SetNumThreads(1)
	if n := NumThreads(); n != 1 {
		t.Fatalf("threads = %d", n)
	}
}

// TestThreadsSizeOpenBLAS checks that SetNumThreads sizes OpenBLAS's pool too, and leaves it
// alone when OPENBLAS_NUM_THREADS is set. OpenBLAS reads that variable once, when it loads,
// so the second case runs in a child process.
func TestThreadsSizeOpenBLAS(t *testing.T) {
	if core, _ := openblasCore(); core == "" {
		t.Skip("this process has no OpenBLAS")
	}
	if os.Getenv("TORCHRT_THREADS_CHILD") != "" {
		SetNumThreads(1)
		_, n := openblasCore()
		os.Stdout.WriteString("openblas threads " + strconv.Itoa(n) + "\n")
		return
	}
	for _, n := range []int{1, 2, 1} {
		SetNumThreads(n)
		if _, got := openblasCore(); got != n {
			t.Errorf("SetNumThreads(%d): OpenBLAS runs %d threads", n, got)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestThreadsSizeOpenBLAS$")
	cmd.Env = append(os.Environ(), "TORCHRT_THREADS_CHILD=1", "OPENBLAS_NUM_THREADS=2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "openblas threads 2\n") {
		t.Errorf("with OPENBLAS_NUM_THREADS=2 set, SetNumThreads(1) changed OpenBLAS's threads:\n%s", out)
	}
}
