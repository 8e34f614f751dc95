package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/clue-bench/clue-bench/internal/gotchprep"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gotchprep:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	flags := flag.NewFlagSet("gotchprep", flag.ContinueOnError)
	cache := flags.String("cache", os.Getenv("CLUE_BENCH_GOTCH_DIR"), "directory of prepared copies shared by checkouts (default $CLUE_BENCH_GOTCH_DIR, else the user cache directory's clue-bench/gotch)")
	gomod := flags.String("gomod", "go.mod", "go.mod that names the gotch version")
	if err := flags.Parse(args); err != nil {
		return err
	}
	root, err := cacheRoot(*cache)
	if err != nil {
		return err
	}
	version, err := gotchVersion(*gomod)
	if err != nil {
		return err
	}
	lt, err := gotchprep.Find(os.Getenv("LIBTORCH"))
	if err != nil {
		return err
	}
	dir, err := moduleDir("github.com/sugarme/gotch@" + version)
	if err != nil {
		return err
	}
	o := gotchprep.Options{ModuleDir: dir, GotchVersion: version, Libtorch: lt, Log: os.Stderr}
	o.OutDir = gotchprep.KeyedDir(root, o)
	s, did, err := gotchprep.Prepare(o)
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return fmt.Errorf("%w (CLUE_BENCH_GOTCH_DIR=/writable/dir prepares the copies elsewhere)", err)
	}
	if err != nil {
		return err
	}
	state := "up to date"
	if did {
		state = "prepared"
	}
	fmt.Fprintf(os.Stderr, "gotch %s %s in %s for libtorch %s (%s, cuda=%v); %d wrappers disabled, listed in %s\n",
		version, state, o.OutDir, lt.Version, lt.Root, lt.CUDA, len(s.Disabled), filepath.Join(o.OutDir, gotchprep.DisabledListName))
	// The only line on stdout: the Makefile points go.work's replace directive at it.
	fmt.Println(o.OutDir)
	return nil
}

// cacheRoot makes the directory of prepared copies absolute (go.work names it from any
// checkout), defaulting to clue-bench/gotch in the user cache directory.
func cacheRoot(dir string) (string, error) {
	if dir == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no directory for prepared gotch copies: %w; set CLUE_BENCH_GOTCH_DIR", err)
		}
		dir = filepath.Join(c, "clue-bench", "gotch")
	}
	return filepath.Abs(dir)
}

// gotchVersion reads the required gotch version from go.mod.
func gotchVersion(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require "))
		if len(fields) >= 2 && fields[0] == "github.com/sugarme/gotch" {
			return fields[1], nil
		}
	}
	return "", fmt.Errorf("%s: no requirement on github.com/sugarme/gotch", gomod)
}

// moduleDir downloads (if needed) a module and returns its directory in the module cache.
func moduleDir(mod string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	b, err := cmd.Output()
	var info struct{ Dir, Error string }
	_ = json.Unmarshal(b, &info)
	if info.Error != "" {
		return "", errors.New("go mod download " + mod + ": " + info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	return info.Dir, nil
}
