package download

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"strings"
)

// MismatchError is a finished transfer that is not the file asked for. The file is removed.
type MismatchError struct {
	Name, What, Got, Want string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s: %s %s, want %s (removed; the source or a mirror serves other bytes than recorded)", e.Name, e.What, e.Got, e.Want)
}

// check compares path with want and returns its sha256.
func check(path, name string, want Want) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if want.Size > 0 && st.Size() != want.Size {
		return "", &MismatchError{Name: name, What: "size", Got: strconv.FormatInt(st.Size(), 10), Want: strconv.FormatInt(want.Size, 10)}
	}
	s256 := sha256.New()
	hs := []io.Writer{s256}
	var g hash.Hash
	if want.GitSHA1 != "" {
		g = sha1.New()
		fmt.Fprintf(g, "blob %d\x00", st.Size())
		hs = append(hs, g)
	}
	if _, err := io.Copy(io.MultiWriter(hs...), f); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	sum := hex.EncodeToString(s256.Sum(nil))
	if want.SHA256 != "" && !strings.EqualFold(sum, want.SHA256) {
		return "", &MismatchError{Name: name, What: "sha256", Got: sum, Want: want.SHA256}
	}
	if g != nil {
		if got := hex.EncodeToString(g.Sum(nil)); !strings.EqualFold(got, want.GitSHA1) {
			return "", &MismatchError{Name: name, What: "git blob id", Got: got, Want: want.GitSHA1}
		}
	}
	return sum, nil
}

// FileSHA256 is the size and sha256 of a file, for recording what was fetched.
func FileSHA256(path string) (int64, string, error) {
	sum, err := check(path, path, Want{})
	if err != nil {
		return 0, "", err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, "", err
	}
	return st.Size(), sum, nil
}
