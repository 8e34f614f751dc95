//go:build cgo

package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sugarme/gotch/pickle"
)

// Checks and messages for reading torch.save files (torchfile.go): what a file that is not a
// checkpoint is instead, which tensors a storage belongs to, and a pickle checked by
// scanPickle before gotch's unpickler reads it.

// errNotTorch marks a file that is not a torch.save checkpoint at all.
var errNotTorch = errors.New("not a PyTorch checkpoint")

// sniff says what a file that is not a torch.save checkpoint looks like, from its first bytes
// and size, so that the usual mistakes (a Git LFS pointer, an HTML error page, a safetensors
// file under the other name) are named; "" when it recognises none of them.
func sniff(head []byte, size int64) string {
	text := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	switch {
	case size == 0:
		return "the file is empty"
	case bytes.HasPrefix(head, []byte("version https://git-lfs")):
		return "it is a Git LFS pointer, not the weights (fetch them with git lfs pull)"
	case len(head) > 8 && head[8] == '{' && int64(binary.LittleEndian.Uint64(head[:8])) <= size-8:
		return "it is a safetensors file (name it model.safetensors)"
	case bytes.HasPrefix(text, []byte("<")):
		return "it is HTML or XML text (an error page saved in place of the file?)"
	case bytes.HasPrefix(text, []byte("{")) || bytes.HasPrefix(text, []byte("[")):
		return "it is JSON text"
	case bytes.HasPrefix(head, []byte("\x1f\x8b")):
		return "it is gzip-compressed (decompress it first)"
	case bytes.HasPrefix(head, []byte("\x93NUMPY")):
		return "it is a NumPy .npy array"
	case bytes.HasPrefix(head, []byte("\x89HDF")):
		return "it is an HDF5 file (TensorFlow or Keras weights?)"
	case bytes.HasPrefix(head, []byte("PK")):
		return "it is a damaged zip archive"
	}
	return ""
}

// notTorch is the error for a file that is not a torch.save checkpoint; cause, when not nil,
// says why the legacy reader gave up on a file sniff does not recognise.
func notTorch(f io.ReaderAt, size int64, cause error) error {
	head := make([]byte, min(size, 64))
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	if what := sniff(head, size); what != "" {
		return fmt.Errorf("%w: %s", errNotTorch, what)
	}
	if cause != nil {
		return fmt.Errorf("%w: %w", errNotTorch, cause)
	}
	return fmt.Errorf("%w: it starts with bytes % x", errNotTorch, head[:min(len(head), 8)])
}

// checkPickleAt runs scanPickle over the pickle starting at offset pos of a file of size
// bytes. what names the pickle in errors.
func checkPickleAt(f io.ReaderAt, pos, size int64, what string) error {
	if _, err := scanPickle(io.NewSectionReader(f, pos, size-pos), size-pos, pos); err != nil {
		return fmt.Errorf("malformed %s pickle: %w", what, err)
	}
	return nil
}

// stateEntries lists a state dict's entries by name, or says why obj is not one.
func stateEntries(obj any) (map[string]any, error) {
	entries := map[string]any{}
	switch d := obj.(type) {
	case *pickle.OrderedDict:
		for k, e := range d.Map {
			name, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("state dict key %v is not a string", k)
			}
			entries[name] = e.Value
		}
	case *pickle.Dict:
		for _, e := range *d {
			name, ok := e.Key.(string)
			if !ok {
				return nil, fmt.Errorf("state dict key %v is not a string", e.Key)
			}
			entries[name] = e.Value
		}
	default:
		return nil, fmt.Errorf("top-level object is %s, want a state dict of tensors", pickleKind(obj))
	}
	return entries, nil
}

// pickleKind names a decoded pickle value's type in Python's terms.
func pickleKind(v any) string {
	switch v.(type) {
	case *pickle.OrderedDict, *pickle.Dict:
		return "a dict"
	case *pickle.List:
		return "a list"
	case *pickle.Tuple:
		return "a tuple"
	case *pickle.StorageTensor:
		return "a tensor"
	case string:
		return "a string"
	case int, int64, float64:
		return "a number"
	case nil:
		return "None"
	}
	return fmt.Sprintf("a %T", v)
}

// storageUsers maps each storage of a state dict to the names of the tensors that view it.
func storageUsers(obj any) map[pickle.Storage][]string {
	users := map[pickle.Storage][]string{}
	entries, err := stateEntries(obj)
	if err != nil {
		return users
	}
	for name, v := range entries {
		if st, ok := v.(*pickle.StorageTensor); ok && st.Source != nil {
			users[st.Source] = append(users[st.Source], name)
		}
	}
	for _, names := range users {
		sort.Strings(names)
	}
	return users
}

// tensorsOf names the tensor a storage backs, for errors about its bytes; tensors sharing the
// storage (tied weights) are named after the first, so that the phrase stays singular.
func tensorsOf(users map[pickle.Storage][]string, s pickle.Storage, key string) string {
	names := users[s]
	switch len(names) {
	case 0:
		return "storage " + key
	case 1:
		return fmt.Sprintf("tensor %q", names[0])
	}
	quoted := make([]string, len(names)-1)
	for i, n := range names[1:] {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return fmt.Sprintf("tensor %q (and %s, sharing its storage)", names[0], strings.Join(quoted, ", "))
}
