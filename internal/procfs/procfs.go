package procfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ErrNoField is returned when a status file has no such field (another kernel, not Linux).
var ErrNoField = errors.New("field not found")

// StatusKB reads a kB field (VmRSS, VmHWM, …) of /proc/<pid>/status; pid 0 is this process.
func StatusKB(pid int, field string) (float64, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	v, err := readKB(f, field)
	if err != nil {
		return 0, fmt.Errorf("%s: %s: %w", path, field, err)
	}
	return v, nil
}

// readKB finds "field:   <n> kB" in a status file's text and returns n.
func readKB(r io.Reader, field string) (float64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			break
		}
		return strconv.ParseFloat(fs[0], 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, ErrNoField
}

// ResetPeak resets the kernel's high-water mark of this process's resident set (VmHWM), so that
// a later reading is the peak since now (Linux: writing 5 to clear_refs).
func ResetPeak() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak RSS: %w", err)
	}
	return nil
}
