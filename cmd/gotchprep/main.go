package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
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
	fs := flag.NewFlagSet("gotchprep", flag.ContinueOnError)
	out := fs.String("out", "build/gotch", "directory for the prepared copy")
	gomod := fs.String("gomod", "go.mod", "go.mod that names the gotch version")
	if err := fs.Parse(args); err != nil {
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
	s, did, err := gotchprep.Prepare(gotchprep.Options{ModuleDir: dir, GotchVersion: version, OutDir: *out, Libtorch: lt, Log: os.Stderr})
	if err != nil {
		return err
	}
	state := "up to date"
	if did {
		state = "prepared"
	}
	fmt.Printf("gotch %s %s in %s for libtorch %s (%s, cuda=%v); %d wrappers disabled, listed in %s/%s\n",
		version, state, *out, lt.Version, lt.Root, lt.CUDA, len(s.Disabled), *out, gotchprep.DisabledListName)
	return nil
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
