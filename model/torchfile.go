//go:build cgo

package model

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path"
	"strings"

	"github.com/sugarme/gotch/pickle"
)

// This file reads the containers torch.save writes; gotch's pickle package decodes the pickles.
// gotch's own loaders are not used because they read storages with a bare Read (a short read at
// the end of a truncated legacy file leaves stale bytes instead of an error), trust storage sizes
// from the file (a corrupt size allocates without bound) and panic on storage views.

// torchClass maps the classes a state-dict pickle names to gotch's implementations.
func torchClass(module, name string) (any, error) {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor":
		return &pickle.RebuildTensor{}, nil
	case "torch._utils._rebuild_tensor_v2":
		return &pickle.RebuildTensorV2{}, nil
	case "torch._utils._rebuild_parameter":
		return &pickle.RebuildParameter{}, nil
	case "torch.FloatStorage":
		return &pickle.FloatStorageClass{}, nil
	case "torch.HalfStorage":
		return &pickle.HalfStorageClass{}, nil
	case "torch.BFloat16Storage":
		return &pickle.BFloat16StorageClass{}, nil
	case "torch.DoubleStorage":
		return &pickle.DoubleStorageClass{}, nil
	case "torch.CharStorage":
		return &pickle.CharStorageClass{}, nil
	case "torch.ShortStorage":
		return &pickle.ShortStorageClass{}, nil
	case "torch.IntStorage":
		return &pickle.IntStorageClass{}, nil
	case "torch.LongStorage":
		return &pickle.LongStorageClass{}, nil
	case "torch.ByteStorage":
		return &pickle.ByteStorageClass{}, nil
	case "torch.BoolStorage":
		return &pickle.BoolStorageClass{}, nil
	}
	// A whole pickled model (torch.save(model)) names its own classes; only a state dict of
	// tensors can be read.
	return nil, fmt.Errorf("unsupported class %s.%s in pickle (a whole model saved with torch.save(model)? save its state_dict() instead)", module, name)
}

// storageRef is a storage named by a persistent id, filled once its bytes are read.
type storageRef struct {
	storage  pickle.Storage
	numel    int
	elemSize int
}

// persistentStorage decodes a ("storage", class, key, location, numel, …) persistent id.
func persistentStorage(pid any, want int) (key string, ref *storageRef, view any, err error) {
	t, ok := pid.(*pickle.Tuple)
	if !ok || t.Len() < want {
		return "", nil, nil, fmt.Errorf("unexpected persistent id %v", pid)
	}
	if kind, _ := t.Get(0).(string); kind != "storage" {
		return "", nil, nil, fmt.Errorf("unexpected persistent id %v", pid)
	}
	class, ok1 := t.Get(1).(pickle.StorageClass)
	key, ok2 := t.Get(2).(string)
	location, ok3 := t.Get(3).(string)
	numel, ok4 := t.Get(4).(int)
	if !ok1 || !ok2 || !ok3 || !ok4 || numel < 0 {
		return "", nil, nil, fmt.Errorf("malformed storage id %v", pid)
	}
	s := class.New(numel, location)
	if want > 5 {
		view = t.Get(5)
	}
	return key, &storageRef{storage: s, numel: numel, elemSize: int(s.DType().Size())}, view, nil
}

// fullReader turns every short read into an error, so that gotch's storage decoders, which
// call Read once per buffer, cannot silently keep stale bytes.
type fullReader struct{ r io.Reader }

func (f fullReader) Read(p []byte) (int, error) { return io.ReadFull(f.r, p) }

// loadTorchFile returns the unpickled top-level object of a torch.save file.
func loadTorchFile(p string) (any, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err == nil && bytes.Equal(magic, []byte("PK\x03\x04")) {
		return loadTorchZip(p)
	}
	// The legacy format starts with a pickle; files recognised as something else are named
	// as such rather than reported as a malformed pickle.
	head := make([]byte, min(st.Size(), 64))
	if n, _ := f.ReadAt(head, 0); sniff(head[:n], st.Size()) != "" {
		return nil, notTorch(f, st.Size(), nil)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return loadTorchLegacy(f)
}

// loadTorchZip reads torch's zip format: <root>/data.pkl plus one member per storage under
// <root>/data/<key>. Every member is read once first so that archive/zip checks its CRC-32.
func loadTorchZip(p string) (any, error) {
	r, err := zip.OpenReader(p)
	if err != nil {
		return nil, fmt.Errorf("damaged zip archive (truncated file?): %w", err)
	}
	defer r.Close()
	members := map[string]*zip.File{}
	var pkl *zip.File
	for _, m := range r.File {
		if err := checkMember(m); err != nil {
			return nil, fmt.Errorf("damaged zip archive: %w", err)
		}
		dir, base := path.Split(m.Name)
		switch {
		case base == "data.pkl" && strings.Count(m.Name, "/") == 1:
			pkl = m
		case path.Base(dir) == "data":
			members[base] = m
		}
	}
	if pkl == nil {
		return nil, fmt.Errorf("%w: a zip archive without data.pkl", errNotTorch)
	}
	// The pickle is checked in one pass and unpickled in a second; archive/zip already
	// verified that the member holds exactly UncompressedSize64 bytes.
	rc, err := pkl.Open()
	if err != nil {
		return nil, err
	}
	_, err = scanPickle(rc, int64(min(pkl.UncompressedSize64, math.MaxInt64)), 0)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("malformed %s: %w", pkl.Name, err)
	}
	if rc, err = pkl.Open(); err != nil {
		return nil, err
	}
	defer rc.Close()
	loaded := map[string]*storageRef{}
	var keys []string // in the order the pickle names them
	u := pickle.NewUnpickler(rc)
	u.FindClass = torchClass
	u.PersistentLoad = func(pid any) (any, error) {
		key, ref, _, err := persistentStorage(pid, 5)
		if err != nil {
			return nil, err
		}
		if prev, ok := loaded[key]; ok {
			return prev.storage, nil
		}
		loaded[key] = ref
		keys = append(keys, key)
		return ref.storage, nil
	}
	obj, err := u.Load()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pkl.Name, err)
	}
	// Storages are read once the pickle is known, so that errors name the tensors.
	users := storageUsers(obj)
	for _, key := range keys {
		ref := loaded[key]
		who := tensorsOf(users, ref.storage, key)
		m, ok := members[key]
		if !ok {
			return nil, fmt.Errorf("%s: its storage %s has no member data/%s in the archive", who, key, key)
		}
		if want := uint64(ref.numel) * uint64(ref.elemSize); m.UncompressedSize64 != want {
			return nil, fmt.Errorf("%s needs %d bytes (storage %s: %d × %v), its member %s holds %d",
				who, want, key, ref.numel, ref.storage.DType(), m.Name, m.UncompressedSize64)
		}
		data, err := m.Open()
		if err != nil {
			return nil, err
		}
		err = ref.storage.SetFromFileWithSize(fullReader{data}, ref.numel)
		data.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", who, err)
		}
	}
	return obj, nil
}

// checkMember reads a zip member to its end, which makes archive/zip verify its checksum.
func checkMember(m *zip.File) error {
	rc, err := m.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", m.Name, err)
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return fmt.Errorf("%s: %w", m.Name, err)
	}
	return nil
}

// legacyMagic is torch's legacy-format magic number, in hex.
const legacyMagic = "1950a86a20f9469cfc6c"

// loadTorchLegacy reads torch's pre-1.6 format: pickles of the magic number, protocol version
// and system info, the object itself, the list of storage keys, then per key an 8-byte element
// count and the raw little-endian elements.
func loadTorchLegacy(f *os.File) (any, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// check runs scanPickle over the pickle at the current offset, before any unpickler
	// reads it.
	check := func(what string) error {
		pos, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		return checkPickleAt(f, pos, st.Size(), what)
	}
	unpickle := func(what string) (any, error) {
		if err := check(what); err != nil {
			return nil, err
		}
		u := pickle.NewUnpickler(f)
		return u.Load()
	}
	if m, err := unpickle("magic number"); err != nil {
		return nil, notTorch(f, st.Size(), err)
	} else if n, ok := m.(*big.Int); !ok || n.Text(16) != legacyMagic {
		return nil, fmt.Errorf("%w: a pickle without torch.save's magic number", errNotTorch)
	}
	if v, err := unpickle("protocol version"); err != nil {
		return nil, err
	} else if n, ok := v.(int); !ok || n != 1001 {
		return nil, fmt.Errorf("unsupported legacy protocol version %v", v)
	}
	if _, err := unpickle("system info"); err != nil {
		return nil, err
	}
	if err := check("state dict"); err != nil {
		return nil, err
	}
	refs := map[string]*storageRef{}
	u := pickle.NewUnpickler(f)
	u.FindClass = torchClass
	u.PersistentLoad = func(pid any) (any, error) {
		key, ref, view, err := persistentStorage(pid, 6)
		if err != nil {
			return nil, err
		}
		if view != nil {
			return nil, fmt.Errorf("storage %s: storage views are not supported", key)
		}
		if prev, ok := refs[key]; ok {
			return prev.storage, nil
		}
		refs[key] = ref
		return ref.storage, nil
	}
	obj, err := u.Load()
	if err != nil {
		return nil, err
	}
	keysObj, err := unpickle("storage keys")
	if err != nil {
		return nil, fmt.Errorf("storage keys: %w", err)
	}
	keys, ok := keysObj.(*pickle.List)
	if !ok {
		return nil, fmt.Errorf("storage keys are %s, want a list", pickleKind(keysObj))
	}
	users := storageUsers(obj)
	for _, k := range *keys {
		key, _ := k.(string)
		ref, ok := refs[key]
		if !ok {
			return nil, fmt.Errorf("storage key %v is not used by the pickle", k)
		}
		who := tensorsOf(users, ref.storage, key)
		pos, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		need := 8 + int64(ref.numel)*int64(ref.elemSize) // element count, then the elements
		if left := st.Size() - pos; left < need {
			return nil, fmt.Errorf("truncated: %s needs %d bytes (storage %s: a count and %d × %v) from byte %d, the file has %d left: %w",
				who, need, key, ref.numel, ref.storage.DType(), pos, left, io.ErrUnexpectedEOF)
		}
		var count [8]byte
		if _, err := io.ReadFull(f, count[:]); err != nil {
			return nil, fmt.Errorf("%s: %w", who, err)
		}
		if n := binary.LittleEndian.Uint64(count[:]); n != uint64(ref.numel) {
			return nil, fmt.Errorf("%s: the file says %d elements, the pickle %d", who, n, ref.numel)
		}
		if err := ref.storage.SetFromFileWithSize(fullReader{f}, ref.numel); err != nil {
			return nil, fmt.Errorf("%s: %w", who, err)
		}
	}
	return obj, nil
}
