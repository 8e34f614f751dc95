package procfs

import (
	"errors"
	"os"
	"strings"
	"testing"
)

const sample = `Name:	bench
VmPeak:	 1234568 kB
VmHWM:	  204800 kB
VmRSS:	  102400 kB
VmSwap:	
Threads:	3
`

func TestReadKB(t *testing.T) {
	for _, c := range []struct {
		field string
		want  float64
		err   bool
	}{
		{"VmHWM", 204800, false},
		{"VmRSS", 102400, false},
		{"Threads", 3, false},
		{"VmSwap", 0, true}, // present without a value
		{"VmLck", 0, true},  // absent
		{"Vm", 0, true},     // a prefix of other fields is not a field
	} {
		got, err := readKB(strings.NewReader(sample), c.field)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("readKB(%s) = %v, %v; want %v, error %v", c.field, got, err, c.want, c.err)
		}
	}
	if _, err := readKB(strings.NewReader(sample), "VmLck"); !errors.Is(err, ErrNoField) {
		t.Errorf("absent field: %v, want ErrNoField", err)
	}
}

func TestStatusKB(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	self, err := StatusKB(0, "VmRSS")
	if err != nil || self <= 0 {
		t.Fatalf("own VmRSS: %v, %v", self, err)
	}
	byPid, err := StatusKB(os.Getpid(), "VmHWM")
	if err != nil || byPid < self/2 {
		t.Errorf("own VmHWM by pid: %v, %v (VmRSS %v)", byPid, err, self)
	}
	if _, err := StatusKB(0, "NoSuchField"); !errors.Is(err, ErrNoField) || !strings.Contains(err.Error(), "/proc/self/status") {
		t.Errorf("absent field: %v, want ErrNoField naming the file", err)
	}
}
