//go:build cgo

package model

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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
	return nil, fmt.Errorf("unsupported class %s.%s in pickle", module, name)
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
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err == nil && bytes.Equal(magic, []byte("PK\x03\x04")) {
		return loadTorchZip(p)
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
		return nil, err
	}
	defer r.Close()
	members := map[string]*zip.File{}
	var pkl *zip.File
	for _, m := range r.File {
		if err := checkMember(m); err != nil {
			return nil, err
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
		return nil, errors.New("zip archive has no data.pkl: not a torch.save file")
	}
	rc, err := pkl.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	loaded := map[string]*storageRef{}
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
		m, ok := members[key]
		if !ok {
			return nil, fmt.Errorf("storage %s has no zip member", key)
		}
		if want := uint64(ref.numel) * uint64(ref.elemSize); m.UncompressedSize64 != want {
			return nil, fmt.Errorf("storage %s: member holds %d bytes, pickle declares %d", key, m.UncompressedSize64, want)
		}
		data, err := m.Open()
		if err != nil {
			return nil, err
		}
		defer data.Close()
		if err := ref.storage.SetFromFileWithSize(fullReader{data}, ref.numel); err != nil {
			return nil, fmt.Errorf("storage %s: %w", key, err)
		}
		loaded[key] = ref
		return ref.storage, nil
	}
	return u.Load()
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
	unpickle := func() (any, error) {
		u := pickle.NewUnpickler(f)
		return u.Load()
	}
	if m, err := unpickle(); err != nil {
		return nil, fmt.Errorf("not a torch.save file: %w", err)
	} else if n, ok := m.(*big.Int); !ok || n.Text(16) != legacyMagic {
		return nil, errors.New("not a torch.save file (bad magic number)")
	}
	if v, err := unpickle(); err != nil {
		return nil, err
	} else if n, ok := v.(int); !ok || n != 1001 {
		return nil, fmt.Errorf("unsupported legacy protocol version %v", v)
	}
	if _, err := unpickle(); err != nil { // system info
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
	keysObj, err := unpickle()
	if err != nil {
		return nil, fmt.Errorf("storage keys: %w", err)
	}
	keys, ok := keysObj.(*pickle.List)
	if !ok {
		return nil, fmt.Errorf("storage keys are %T, want a list", keysObj)
	}
	for _, k := range *keys {
		key, _ := k.(string)
		ref, ok := refs[key]
		if !ok {
			return nil, fmt.Errorf("storage key %v is not used by the pickle", k)
		}
		var count [8]byte
		if _, err := io.ReadFull(f, count[:]); err != nil {
			return nil, fmt.Errorf("storage %s: %w", key, err)
		}
		if n := binary.LittleEndian.Uint64(count[:]); n != uint64(ref.numel) {
			return nil, fmt.Errorf("storage %s: file says %d elements, pickle %d", key, n, ref.numel)
		}
		pos, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		if need := int64(ref.numel) * int64(ref.elemSize); st.Size()-pos < need {
			return nil, fmt.Errorf("storage %s: %w", key, io.ErrUnexpectedEOF)
		}
		if err := ref.storage.SetFromFileWithSize(fullReader{f}, ref.numel); err != nil {
			return nil, fmt.Errorf("storage %s: %w", key, err)
		}
	}
	return obj, nil
}
