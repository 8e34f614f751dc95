package fetch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/clue-bench/clue-bench/internal/atomicfile"
	"github.com/clue-bench/clue-bench/internal/download"
)

// Manifest is DIR/manifest.json: what was fetched into DIR, recorded at its first download.
type Manifest struct {
	Zips  map[string]Record `json:"zips"`  // zip name → the zip as first downloaded
	Files map[string]Record `json:"files"` // slash path under DIR → the file as first unpacked
}

// Record is one file's size and sha256, and when and where from it was first fetched.
type Record struct {
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
	URL     string `json:"url,omitempty"`
	Fetched string `json:"fetched,omitempty"` // RFC 3339, UTC
}

// filesUnder are the manifest's records of the files in folder dir.
func (m *Manifest) filesUnder(dir string) map[string]Record {
	out := map[string]Record{}
	for p, r := range m.Files {
		if strings.HasPrefix(p, dir+"/") {
			out[p] = r
		}
	}
	return out
}

// verifyFiles checks each recorded file's size and sha256.
func verifyFiles(root string, recs map[string]Record, m *Manifest) error {
	paths := make([]string, 0, len(recs))
	for p := range recs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		size, sum, err := download.FileSHA256(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if r := recs[p]; size != r.Size || sum != r.SHA256 {
			return fmt.Errorf("%s: %d bytes, sha256 %s; recorded %d bytes, sha256 %s", p, size, sum, r.Size, r.SHA256)
		}
	}
	return nil
}

func readManifest(dir string) (*Manifest, error) {
	m := &Manifest{}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("fetch data: %w", err)
	default:
		if err := json.Unmarshal(b, m); err != nil {
			return nil, fmt.Errorf("fetch data: %s: %w (it holds the checksums recorded at first download; repair or remove it)", filepath.Join(dir, "manifest.json"), err)
		}
	}
	if m.Zips == nil {
		m.Zips = map[string]Record{}
	}
	if m.Files == nil {
		m.Files = map[string]Record{}
	}
	return m, nil
}

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("fetch data: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, "manifest.json"), append(b, '\n')); err != nil {
		return fmt.Errorf("fetch data: %w", err)
	}
	return nil
}
