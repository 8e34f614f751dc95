package fetch

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/clue-bench/clue-bench/internal/download"
)

// unpack extracts zipPath into root/dir, through a temporary folder renamed into place, and
// returns the records of the files written (slash paths under root). A single top-level
// folder in the zip is dropped, so that "x_public.zip" holding "x_public/train.json" and one
// holding "train.json" both give root/dir/train.json. Reading checks each entry's CRC-32.
func unpack(zipPath, root, dir string) (map[string]Record, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var entries []*zip.File
	for _, f := range zr.File {
		name := f.Name
		if strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(path.Base(name), "._") || path.Base(name) == ".DS_Store" {
			continue
		}
		if !fs.ValidPath(strings.TrimSuffix(name, "/")) || strings.Contains(name, `\`) {
			return nil, fmt.Errorf("entry %q: not a plain relative path", name)
		}
		entries = append(entries, f)
	}
	strip := commonFolder(entries)
	tmp, err := os.MkdirTemp(root, ".unpack-"+dir+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // gone once renamed; the remains of a failure otherwise
	out := map[string]Record{}
	for _, f := range entries {
		rel := strings.TrimPrefix(f.Name, strip)
		if rel == "" || f.FileInfo().IsDir() {
			continue
		}
		if !f.Mode().IsRegular() {
			return nil, fmt.Errorf("entry %q: not a regular file", f.Name)
		}
		dst := filepath.Join(tmp, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := extract(f, dst); err != nil {
			return nil, err
		}
		size, sum, err := download.FileSHA256(dst)
		if err != nil {
			return nil, err
		}
		out[dir+"/"+rel] = Record{Size: size, SHA256: sum}
	}
	if len(out) == 0 {
		return nil, errors.New("no files in the zip")
	}
	if err := os.Rename(tmp, filepath.Join(root, dir)); err != nil {
		return nil, err
	}
	return out, nil
}

func extract(f *zip.File, dst string) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	w, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, rc); err != nil {
		w.Close()
		return fmt.Errorf("%s: %w", f.Name, err) // includes zip.ErrChecksum for a damaged entry
	}
	return w.Close()
}

// commonFolder is "name/" when every entry is under one top-level folder, else "".
func commonFolder(entries []*zip.File) string {
	first := ""
	for _, f := range entries {
		top, rest, found := strings.Cut(f.Name, "/")
		if !found || (rest == "" && !f.FileInfo().IsDir()) {
			return "" // a file at the top level
		}
		if first == "" {
			first = top
		} else if top != first {
			return ""
		}
	}
	if first == "" {
		return ""
	}
	return first + "/"
}
