package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Perm is the mode of the files written here, before the umask: results and reports are read
// by everyone sharing a results directory, as files written with os.WriteFile are.
const Perm = 0o644

// tempMarker separates the target's name from the writer's host and pid in a temporary name.
const tempMarker = ".tmp-"

// Write writes data to a temporary file in the same directory and renames it to path.
func Write(path string, data []byte) error {
	tmp, err := WriteTemp(path, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteTemp writes data, synced to disk, to a new temporary file beside path and returns the
// temporary file's name; the caller renames or links it into place and removes it. Nothing is
// left behind when it fails.
func WriteTemp(path string, data []byte) (string, error) {
	f, err := createTemp(path)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return f.Name(), nil
}

// createTemp creates the temporary file exclusively with mode Perm (the umask applies, unlike
// os.CreateTemp's fixed 0600).
func createTemp(path string) (*os.File, error) {
	for try := 0; ; try++ {
		f, err := os.OpenFile(TempName(path), os.O_RDWR|os.O_CREATE|os.O_EXCL, Perm)
		if err == nil || !errors.Is(err, fs.ErrExist) || try == 100 {
			return f, err
		}
	}
}

// hostTag is this host's name as it appears in temporary names: no path separators.
func hostTag() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return strings.ReplaceAll(h, "/", "_")
}

// CleanTemps removes the temporary files in dir whose writer is gone: those written by a
// process of this host that no longer exists, and those of other hosts (or of an older
// naming that says no writer) last modified more than maxAge ago. A live writer's file is
// never removed: a writer keeps its file only for the moments of one write. It returns the
// names it removed.
func CleanTemps(dir string, maxAge time.Duration) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("clean %s: %w", dir, err)
	}
	host := hostTag()
	var removed []string
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !isTemp(name) {
			continue
		}
		p := filepath.Join(dir, name)
		if !writerGone(p, name, host, maxAge) {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}

// isTemp reports whether name is a temporary file of this package: ".NAME.tmp-…", or the
// older ".NAME.tmpDIGITS" of os.CreateTemp.
func isTemp(name string) bool {
	if !strings.HasPrefix(name, ".") {
		return false
	}
	if strings.Contains(name, tempMarker) {
		return true
	}
	i := strings.LastIndex(name, ".tmp")
	if i < 0 || i+4 == len(name) {
		return false
	}
	_, err := strconv.ParseUint(name[i+4:], 10, 64)
	return err == nil
}

// writerGone decides whether the temporary file p (named name) has no live writer.
func writerGone(p, name, host string, maxAge time.Duration) bool {
	if h, pid, ok := writerOf(name); ok && h == host {
		return !ProcessAlive(pid)
	}
	st, err := os.Stat(p)
	if err != nil {
		return false
	}
	return time.Since(st.ModTime()) > maxAge
}

// writerOf reads the host and pid from a temporary name ".NAME.tmp-HOST-PID-RANDOM".
func writerOf(name string) (host string, pid int, ok bool) {
	i := strings.LastIndex(name, tempMarker)
	if i < 0 {
		return "", 0, false
	}
	rest := name[i+len(tempMarker):]
	j := strings.LastIndex(rest, "-") // before RANDOM
	if j < 0 {
		return "", 0, false
	}
	k := strings.LastIndex(rest[:j], "-") // before PID
	if k < 0 {
		return "", 0, false
	}
	pid, err := strconv.Atoi(rest[k+1 : j])
	if err != nil || pid <= 0 {
		return "", 0, false
	}
	return rest[:k], pid, true
}

// ProcessAlive reports whether a process with this pid exists on this host. A process of
// another user counts (EPERM): only "no such process" means gone. Claims use it too, to tell
// a dead worker's claim from a live one's.
func ProcessAlive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) != syscall.ESRCH
}

// TempName returns a fresh name for a temporary file beside path, named for this process like
// those Write uses, so that CleanTemps removes it should the process die holding it. The file
// is not created.
func TempName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+tempMarker+hostTag()+"-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(rand.Uint64()&0xffffffff, 16))
}
