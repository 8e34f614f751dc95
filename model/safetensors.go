//go:build cgo

package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"sort"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/atomicfile"
	"github.com/clue-bench/clue-bench/internal/tsx"
)

// safetensors layout: an 8-byte little-endian header length N, N bytes of JSON mapping each
// tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data
// section), an optional "__metadata__" object of strings, then the raw little-endian data.

// maxHeaderBytes bounds the JSON header so that a corrupt length cannot make us allocate
// gigabytes; real headers are a few hundred bytes per tensor.
const maxHeaderBytes = 100 << 20

var stDTypes = map[string]gotch.DType{
	"F64": gotch.Double, "F32": gotch.Float, "F16": gotch.Half, "BF16": gotch.BFloat16,
	"I64": gotch.Int64, "I32": gotch.Int, "I16": gotch.Int16, "I8": gotch.Int8,
	"U8": gotch.Uint8, "BOOL": gotch.Bool,
}

func stName(d gotch.DType) (string, bool) {
	for name, dt := range stDTypes {
		if dt == d {
			return name, true
		}
	}
	return "", false
}

// stEntry is one tensor's header record.
type stEntry struct {
	DType   string  `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

// hostLittleEndian is false on big-endian hosts, where element bytes must be swapped.
var hostLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// swapBytes reverses each size-byte element of b in place (little-endian ↔ host order).
func swapBytes(b []byte, size int) {
	if hostLittleEndian || size == 1 {
		return
	}
	for i := 0; i+size <= len(b); i += size {
		for j, k := i, i+size-1; j < k; j, k = j+1, k-1 {
			b[j], b[k] = b[k], b[j]
		}
	}
}

// ReadSafetensors reads every tensor of a safetensors file onto the CPU. The header is checked
// against the file size before anything large is allocated, so a truncated or corrupt file gives
// an error naming the file.
func ReadSafetensors(path string) (map[string]*ts.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read safetensors: %w", err)
	}
	defer f.Close()
	entries, dataStart, err := readSTHeader(f)
	if err != nil {
		return nil, fmt.Errorf("read safetensors %s: %w", path, err)
	}
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make(map[string]*ts.Tensor, len(entries))
	for _, name := range names {
		en := entries[name]
		buf := make([]byte, en.Offsets[1]-en.Offsets[0])
		if _, err := f.ReadAt(buf, dataStart+en.Offsets[0]); err != nil {
			dropMap(out)
			return nil, fmt.Errorf("read safetensors %s: tensor %q: %w", path, name, err)
		}
		dt := stDTypes[en.DType]
		swapBytes(buf, int(dt.Size()))
		t, err := tensorFromBytes(buf, en.Shape, dt)
		if err != nil {
			dropMap(out)
			return nil, fmt.Errorf("read safetensors %s: tensor %q: %w", path, name, err)
		}
		out[name] = t
	}
	return out, nil
}

// readSTHeader parses and validates the header; it returns the entries and the file offset of
// the data section.
func readSTHeader(f *os.File) (map[string]stEntry, int64, error) {
	return readSTHeaderMeta(f, nil)
}

// readSTHeaderMeta is readSTHeader that also copies the header's metadata into meta (when not nil).
func readSTHeaderMeta(f *os.File, keep map[string]string) (map[string]stEntry, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	size := st.Size()
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, 0, fmt.Errorf("file too short for a header (%d bytes)", size)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxHeaderBytes || int64(n) > size-8 {
		// Name the usual mix-up: a torch.save file (zip, or a pickle that starts with PROTO)
		// under the safetensors name.
		if bytes.HasPrefix(lenBuf[:], []byte("PK\x03\x04")) || lenBuf[0] == 0x80 {
			return nil, 0, fmt.Errorf("not a safetensors file: it is a PyTorch checkpoint (name it pytorch_model.bin)")
		}
		return nil, 0, fmt.Errorf("header length %d does not fit the %d-byte file (truncated or not safetensors)", n, size)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return nil, 0, fmt.Errorf("read header: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, 0, fmt.Errorf("header is not a JSON object: %w", err)
	}
	dataStart := 8 + int64(n)
	dataLen := size - dataStart
	entries := make(map[string]stEntry, len(raw))
	for name, msg := range raw {
		if name == "__metadata__" {
			var meta map[string]string
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, 0, fmt.Errorf("__metadata__: %w", err)
			}
			if keep != nil {
				maps.Copy(keep, meta)
			}
			continue
		}
		en, err := parseSTEntry(msg, dataLen)
		if err != nil {
			return nil, 0, fmt.Errorf("tensor %q: %w", name, err)
		}
		entries[name] = en
	}
	if err := checkNoOverlap(entries); err != nil {
		return nil, 0, err
	}
	return entries, dataStart, nil
}

func parseSTEntry(msg json.RawMessage, dataLen int64) (stEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.DisallowUnknownFields()
	var en stEntry
	if err := dec.Decode(&en); err != nil {
		return stEntry{}, fmt.Errorf("bad header record: %w", err)
	}
	dt, ok := stDTypes[en.DType]
	if !ok {
		return stEntry{}, fmt.Errorf("unsupported dtype %q", en.DType)
	}
	if en.Shape == nil {
		return stEntry{}, fmt.Errorf("no shape")
	}
	if len(en.Offsets) != 2 {
		return stEntry{}, fmt.Errorf("data_offsets %v, want [begin, end]", en.Offsets)
	}
	begin, end := en.Offsets[0], en.Offsets[1]
	if begin < 0 || end < begin {
		return stEntry{}, fmt.Errorf("bad data_offsets %v", en.Offsets)
	}
	if end > dataLen {
		return stEntry{}, fmt.Errorf("truncated: data_offsets need bytes [%d, %d) of the data section, the file has %d (truncated file or wrong offsets)", begin, end, dataLen)
	}
	// The byte count bounds numel, so the product below cannot overflow before it is compared.
	want := int64(dt.Size())
	for _, d := range en.Shape {
		if d < 0 {
			return stEntry{}, fmt.Errorf("negative dimension in shape %v", en.Shape)
		}
		if d > 0 && want > math.MaxInt64/d {
			return stEntry{}, fmt.Errorf("shape %v is too large", en.Shape)
		}
		want *= d
	}
	if want != end-begin {
		return stEntry{}, fmt.Errorf("shape %v of %s needs %d bytes, data_offsets give %d", en.Shape, en.DType, want, end-begin)
	}
	return en, nil
}

// checkNoOverlap rejects headers whose tensors share bytes, which the format forbids.
func checkNoOverlap(entries map[string]stEntry) error {
	type span struct {
		name       string
		begin, end int64
	}
	spans := make([]span, 0, len(entries))
	for n, en := range entries {
		if en.Offsets[1] > en.Offsets[0] {
			spans = append(spans, span{n, en.Offsets[0], en.Offsets[1]})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].begin < spans[j].begin })
	for i := 1; i < len(spans); i++ {
		if spans[i].begin < spans[i-1].end {
			return fmt.Errorf("tensors %q and %q overlap", spans[i-1].name, spans[i].name)
		}
	}
	return nil
}

// WriteSafetensors writes the tensors (from any device) to path atomically: it writes a
// temporary file in the same directory and renames it over path only when complete.
func WriteSafetensors(path string, tensors map[string]*ts.Tensor) (err error) {
	return writeSafetensors(path, tensors, nil)
}

// WriteSafetensorsMeta is WriteSafetensors with extra string metadata in the header's
// "__metadata__" object (beside "format": "pt"), where a reader finds it without the tensors.
func WriteSafetensorsMeta(path string, tensors map[string]*ts.Tensor, meta map[string]string) error {
	return writeSafetensors(path, tensors, meta)
}

// ReadSafetensorsMeta returns the "__metadata__" object of a safetensors file's header,
// without reading the tensors; the header is checked as ReadSafetensors checks it.
func ReadSafetensorsMeta(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read safetensors: %w", err)
	}
	defer f.Close()
	meta := map[string]string{}
	if _, _, err := readSTHeaderMeta(f, meta); err != nil {
		return nil, fmt.Errorf("read safetensors %s: %w", path, err)
	}
	return meta, nil
}

func writeSafetensors(path string, tensors map[string]*ts.Tensor, extra map[string]string) (err error) {
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	meta := map[string]string{"format": "pt"}
	for k, v := range extra {
		if k != "format" {
			meta[k] = v
		}
	}
	header := map[string]any{"__metadata__": meta}
	var offset int64
	for _, name := range names {
		t := tensors[name]
		if t == nil {
			return fmt.Errorf("write %s: tensor %q is nil", path, name)
		}
		if name == "__metadata__" {
			return fmt.Errorf("write %s: %q is a reserved name", path, name)
		}
		dt, ok := stName(t.DType())
		if !ok {
			return fmt.Errorf("write %s: tensor %q has unsupported dtype %v", path, name, t.DType())
		}
		shape, err := t.Size()
		if err != nil {
			return fmt.Errorf("write %s: tensor %q: %w", path, name, torchErr(err))
		}
		nbytes := int64(t.DType().Size())
		for _, d := range shape {
			nbytes *= d
		}
		header[name] = stEntry{DType: dt, Shape: append([]int64{}, shape...), Offsets: []int64{offset, offset + nbytes}}
		offset += nbytes
	}
	hdr, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}

	// A temporary name of atomicfile's form, so that the results directory's clean-up removes
	// the file of a killed writer.
	tmp, err := os.OpenFile(atomicfile.TempName(path), os.O_RDWR|os.O_CREATE|os.O_EXCL, atomicfile.Perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
	if _, err = tmp.Write(lenBuf[:]); err == nil {
		_, err = tmp.Write(hdr)
	}
	for _, name := range names {
		if err != nil {
			break
		}
		var data []byte
		if data, err = tensorBytes(tensors[name]); err != nil {
			err = fmt.Errorf("tensor %q: %w", name, err)
			break
		}
		swapBytes(data, int(tensors[name].DType().Size()))
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = tmp.Close()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// dropMap frees every tensor in m.
func dropMap(m map[string]*ts.Tensor) {
	for _, t := range m {
		tsx.Drop(t)
	}
}
