package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clue-bench/clue-bench/internal/fsfault"
)

func TestWriteReplacesAndLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	for _, want := range []string{"first\n", "second\n"} {
		if err := Write(p, []byte(want)); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(p); err != nil || string(got) != want {
			t.Fatalf("read back %q, %v; want %q", got, err, want)
		}
	}
	// A rename onto a directory fails; the error names the path and the temporary file goes.
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "d", "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(filepath.Join(dir, "d"), []byte("x"))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "d")) {
		t.Fatalf("write onto a directory: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "d r.json" {
		t.Fatalf("directory holds %v; want only d and r.json", names)
	}
}

// Files are written with the mode os.WriteFile would give them, so that a group sharing a
// results directory can read them.
func TestWriteModeFollowsTheUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	p := filepath.Join(t.TempDir(), "r.json")
	if err := Write(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v under umask 022; want 0644", st.Mode().Perm())
	}
}

// A write that fails part-way (a full disk) leaves neither the target nor a temporary file,
// and says which file it was writing.
func TestFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	fsfault.LimitFileSize(t, 4)
	err := Write(p, []byte("more than four bytes"))
	if err == nil || !strings.Contains(err.Error(), p) || !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("write past the size limit: %v; want EFBIG naming %s", err, p)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a failed write left %v", entries)
	}
}

// Temporary names say who writes them; CleanTemps removes those of writers that are gone and
// keeps those of live writers, whatever their age.
func TestCleanTemps(t *testing.T) {
	dir := t.TempDir()
	host := hostTag()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	files := []struct {
		name string
		old  bool
		gone bool
	}{
		{".a.json.tmp-" + host + "-" + strconv.Itoa(dead.Process.Pid) + "-1f", false, true},   // this host, writer dead
		{".b.json.tmp-" + host + "-" + strconv.Itoa(os.Getpid()) + "-2e", true, false},        // this host, writer alive
		{".c.json.tmp-other-host.example-" + strconv.Itoa(os.Getpid()) + "-3d", false, false}, // another host, recent
		{".d.json.tmp-other-host.example-" + strconv.Itoa(os.Getpid()) + "-4c", true, true},   // another host, old
		{".e.json.tmp123456", true, true},                                                     // os.CreateTemp's naming, old
		{".f.json.tmp654321", false, false},                                                   // os.CreateTemp's naming, recent
		{"g.json", true, false},                                                               // not a temporary file
		{".h.json.tmpx", true, false},                                                         // not one either
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if f.old {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	removed, err := CleanTemps(dir, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 3 {
		t.Errorf("removed %v; want 3 files", removed)
	}
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, f.name))
		if gone := errors.Is(err, fs.ErrNotExist); gone != f.gone {
			t.Errorf("%s: removed %v, want %v", f.name, gone, f.gone)
		}
	}
	// A temporary file this process is writing is named for it.
	tmp, err := WriteTemp(filepath.Join(dir, "i.json"), []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if h, pid, ok := writerOf(filepath.Base(tmp)); !ok || h != host || pid != os.Getpid() {
		t.Errorf("%s: writer %q %d %v", tmp, h, pid, ok)
	}
	past := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(tmp, past, past); err != nil {
		t.Fatal(err)
	}
	if removed, _ := CleanTemps(dir, time.Hour); len(removed) != 0 {
		t.Errorf("a live writer's file was removed: %v", removed)
	}
}
