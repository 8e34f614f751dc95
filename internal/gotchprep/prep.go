package gotchprep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/clue-bench/clue-bench/internal/flock"
)

// toolVersion changes whenever the way the copy is prepared changes, so that old copies are redone.
const toolVersion = "gotchprep/4"

// Stamp records what a prepared copy was made from.
type Stamp struct {
	Tool          string    `json:"tool"`
	GotchVersion  string    `json:"gotch_version"`
	Libtorch      *Libtorch `json:"libtorch"`
	Fingerprint   string    `json:"fingerprint"`
	Disabled      []string  `json:"disabled_wrappers"`
	PreparedAt    time.Time `json:"prepared_at"`
	CompileChecks int       `json:"compile_checks"`
}

const stampName = ".clue-bench-prep.json"

// DisabledListName is the file, in the prepared copy's root, listing disabled wrappers.
const DisabledListName = "disabled-wrappers.txt"

// Options controls Prepare.
type Options struct {
	ModuleDir    string    // gotch module source (read-only module cache directory)
	GotchVersion string    // e.g. "v0.9.1"
	OutDir       string    // where the prepared copy goes (KeyedDir names one in a shared cache)
	Libtorch     *Libtorch // the libtorch to build against
	CXX          string    // C++ compiler; "g++" when empty
	Log          io.Writer // progress messages
}

// Fingerprint identifies the inputs that decide the prepared copy's content.
func Fingerprint(o Options) string {
	h := sha256.New()
	lt := o.Libtorch
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%v\n%v\n%s\n", toolVersion, o.GotchVersion, lt.Root, lt.Version, lt.CXX11ABI, lt.CUDA, strings.Join(lt.IncludeDirs, ":"))
	// The libtorch library itself: a different build at the same path must regenerate.
	if st, err := os.Stat(lt.libFile()); err == nil {
		fmt.Fprintf(h, "%d %d\n", st.Size(), st.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// KeyedDir is the copy's directory in a cache shared by checkouts: one subdirectory per
// gotch version and Fingerprint, so that copies for different libtorches live side by side
// and a checkout never replaces the copy another one builds against.
func KeyedDir(root string, o Options) string {
	return filepath.Join(root, o.GotchVersion+"-"+Fingerprint(o))
}

// ReadStamp returns the stamp of a prepared copy, or nil if there is none.
func ReadStamp(dir string) *Stamp {
	b, err := os.ReadFile(filepath.Join(dir, stampName))
	if err != nil {
		return nil
	}
	var s Stamp
	if json.Unmarshal(b, &s) != nil {
		return nil
	}
	return &s
}

// Prepare makes OutDir a gotch copy for o.Libtorch. It returns the stamp and whether any work
// was done (false: the existing copy already matched).
func Prepare(o Options) (*Stamp, bool, error) {
	if o.CXX == "" {
		o.CXX = "g++"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	fp := Fingerprint(o)
	// The stamp is written last and the copy renamed into place whole, so a copy with a
	// matching stamp is complete: readers need no lock.
	if s := ReadStamp(o.OutDir); s != nil && s.Fingerprint == fp {
		return s, false, nil
	}
	parent := filepath.Dir(o.OutDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, false, fmt.Errorf("gotch copy directory %s: %w", parent, err)
	}
	unlock, err := lockCopy(o.OutDir+".lock", o.Log)
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	// Another process may have prepared the copy while this one waited.
	if s := ReadStamp(o.OutDir); s != nil && s.Fingerprint == fp {
		return s, false, nil
	}
	// Temporary directories left by a preparer that was killed; only a lock holder makes them.
	stale, _ := filepath.Glob(o.OutDir + ".tmp-*")
	for _, d := range stale {
		if err := os.RemoveAll(d); err != nil {
			return nil, false, fmt.Errorf("clean %s: %w", d, err)
		}
	}
	tmp, err := os.MkdirTemp(parent, filepath.Base(o.OutDir)+".tmp-")
	if err != nil {
		return nil, false, fmt.Errorf("gotch copy directory %s: %w", parent, err)
	}
	// MkdirTemp makes it private; the copy may serve other users of a shared cache directory.
	err = os.Chmod(tmp, 0o755)
	var s *Stamp
	if err == nil {
		s, err = prepareIn(tmp, fp, o)
	}
	if err == nil {
		err = replaceDir(tmp, o.OutDir)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return nil, false, err
	}
	return s, true, nil
}

// lockCopy takes the lock that serialises preparing one copy, saying so when it has to wait.
func lockCopy(path string, log io.Writer) (func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	unlock, err := flock.Lock(ctx, path)
	cancel()
	if errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(log, "gotchprep: waiting for another process preparing %s\n", strings.TrimSuffix(path, ".lock"))
		unlock, err = flock.Lock(context.Background(), path)
	}
	if err != nil {
		return nil, fmt.Errorf("lock the gotch copy: %w", err)
	}
	return unlock, nil
}

// replaceDir renames the finished copy tmp to dir, moving aside a copy already there (its
// stamp did not match).
func replaceDir(tmp, dir string) error {
	old := dir + ".old"
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("remove the replaced %s: %w", old, err)
	}
	return nil
}

// prepareIn writes a complete copy, stamp last, into the empty directory tmp.
func prepareIn(tmp, fp string, o Options) (*Stamp, error) {
	if err := copyTree(o.ModuleDir, tmp); err != nil {
		return nil, fmt.Errorf("copy gotch from %s: %w", o.ModuleDir, err)
	}
	libtch := filepath.Join(tmp, "libtch")
	if err := os.WriteFile(filepath.Join(libtch, "lib.go"), []byte(o.Libtorch.CgoFile()), 0o644); err != nil {
		return nil, fmt.Errorf("write lib.go: %w", err)
	}
	if err := os.WriteFile(filepath.Join(libtch, "buildinfo.go"), []byte(buildInfoFile(o.Libtorch)), 0o644); err != nil {
		return nil, fmt.Errorf("write buildinfo.go: %w", err)
	}
	if err := splitGeneratedIn(libtch); err != nil {
		return nil, err
	}
	freed, err := freeReturnSlotsIn(filepath.Join(tmp, "ts", TensorMethodsName))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Log, "gotchprep: %d Tensor methods now free their result's C block\n", freed)
	genPath := filepath.Join(libtch, "torch_api_generated.cpp.h")
	guess := knownFailing(o.GotchVersion, o.Libtorch.Version)
	disabled, err := disableIn(genPath, func(src string) []int { return HeadLines(src, guess) }, o.Libtorch.Version)
	if err != nil {
		return nil, err
	}
	if len(disabled) > 0 {
		fmt.Fprintf(o.Log, "gotchprep: disabled %d wrappers known to fail against libtorch %s\n", len(disabled), o.Libtorch.Version)
	}
	checks := 0
	// With no known list, usually one check finds every failing wrapper and a second
	// confirms; errors can hide others (a failed template instantiation stops that path), so
	// repeat until clean.
	for {
		checks++
		fmt.Fprintf(o.Log, "gotchprep: compile check %d of gotch's C wrappers against libtorch %s (up to a minute)...\n", checks, o.Libtorch.Version)
		out, err := exec.Command(o.CXX, o.Libtorch.compileArgs(libtch)...).CombinedOutput()
		if err == nil {
			break
		}
		failing := FailingLines(string(out))
		if len(failing) == 0 || checks >= 4 {
			return nil, fmt.Errorf("gotch's torch_api.cpp does not compile against libtorch %s at %s, and not only in generated wrappers:\n%s", o.Libtorch.Version, o.Libtorch.Root, tail(string(out), 4000))
		}
		names, err := disableIn(genPath, func(string) []int { return failing }, o.Libtorch.Version)
		if err != nil {
			return nil, err
		}
		disabled = append(disabled, names...)
		fmt.Fprintf(o.Log, "gotchprep: disabled %d wrappers\n", len(names))
	}
	if err := os.WriteFile(filepath.Join(tmp, DisabledListName), []byte(strings.Join(disabled, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	s := &Stamp{Tool: toolVersion, GotchVersion: o.GotchVersion, Libtorch: o.Libtorch, Fingerprint: fp, Disabled: disabled, PreparedAt: time.Now().UTC(), CompileChecks: checks}
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, stampName), b, 0o644); err != nil {
		return nil, err
	}
	return s, nil
}

// disableIn disables, in the generated file at path, the wrappers around the lines that pick
// chooses in its source (Disable), and returns their names; it leaves the file alone when pick
// chooses none.
func disableIn(path string, pick func(src string) []int, libtorchVersion string) ([]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := pick(string(src))
	if len(lines) == 0 {
		return nil, nil
	}
	patched, names, err := Disable(string(src), lines, libtorchVersion)
	if err != nil {
		return nil, fmt.Errorf("patch %s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(patched), 0o644); err != nil {
		return nil, err
	}
	return names, nil
}

func buildInfoFile(lt *Libtorch) string {
	return fmt.Sprintf(`// Code generated by clue-bench gotchprep; DO NOT EDIT.

package libtch

// Facts about the libtorch this copy of gotch was prepared for.
const (
	PreparedLibtorchVersion = %q
	PreparedLibtorchRoot    = %q
	PreparedWithCUDA        = %v
)
`, lt.Version, lt.Root, lt.CUDA)
}

// copyTree copies a directory tree, making the copy writable (the module cache is read-only).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
