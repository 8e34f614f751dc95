//go:build cgo

package model

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// sampleTensors covers every dtype the format names, a scalar and an empty tensor.
func sampleTensors(t *testing.T) map[string]*ts.Tensor {
	t.Helper()
	base, err := ts.OfSlice([]float64{1.5, -2.25, 3e-3, 0, 65504, -1e-4})
	if err != nil {
		t.Fatal(err)
	}
	defer tsx.Drop(base)
	m := map[string]*ts.Tensor{}
	for name, dt := range map[string]gotch.DType{
		"f64": gotch.Double, "f32": gotch.Float, "f16": gotch.Half, "bf16": gotch.BFloat16,
		"i64": gotch.Int64, "i32": gotch.Int, "i16": gotch.Int16, "i8": gotch.Int8,
		"u8": gotch.Uint8, "bool": gotch.Bool,
	} {
		x, err := base.Totype(dt, false)
		if err != nil {
			t.Fatal(err)
		}
		if m[name], err = x.Reshape([]int64{2, 3}, true); err != nil {
			t.Fatal(err)
		}
	}
	var err2 error
	if m["scalar"], err2 = ts.OfSlice([]float32{7}); err2 != nil {
		t.Fatal(err2)
	}
	if m["scalar"], err2 = m["scalar"].Select(0, 0, true); err2 != nil { // 0-dim
		t.Fatal(err2)
	}
	if m["empty"], err2 = ts.Zeros([]int64{0, 4}, gotch.Float, gotch.CPU); err2 != nil {
		t.Fatal(err2)
	}
	t.Cleanup(func() { dropMap(m) })
	return m
}

func TestSafetensorsRoundTrip(t *testing.T) {
	lock(t)
	in := sampleTensors(t)
	path := filepath.Join(t.TempDir(), "x.safetensors")
	if err := WriteSafetensors(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	defer dropMap(out)
	if len(out) != len(in) {
		t.Fatalf("read %d tensors, wrote %d", len(out), len(in))
	}
	for name, want := range in {
		got := out[name]
		if got == nil {
			t.Errorf("%s missing", name)
			continue
		}
		if got.DType() != want.DType() || !sameShape(shape(t, got), shape(t, want)) {
			t.Errorf("%s: got %v %v, want %v %v", name, got.DType(), shape(t, got), want.DType(), shape(t, want))
			continue
		}
		gb, _ := tensorBytes(got)
		wb, _ := tensorBytes(want)
		if !bytes.Equal(gb, wb) {
			t.Errorf("%s: data differs", name)
		}
	}
	// The data section starts 8-byte aligned, as the reference writer produces it.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.LittleEndian.Uint64(raw); n%8 != 0 {
		t.Errorf("header length %d not a multiple of 8", n)
	}
}

func TestReadSafetensorsFromPython(t *testing.T) {
	lock(t)
	ref := readRef(t, filepath.Join(fixture, "reference.safetensors"))
	ids := ref["nopad.input_ids"]
	if ids == nil || ids.DType() != gotch.Int64 || !sameShape(shape(t, ids), []int64{2, 6}) {
		t.Fatalf("nopad.input_ids = %v", ids)
	}
	if v := ints(t, ids); v[0] != 2 || v[5] != 3 { // [CLS] … [SEP]
		t.Errorf("input ids %v do not start with [CLS]=2 and end with [SEP]=3", v)
	}
}

func TestWriteSafetensorsAtomic(t *testing.T) {
	lock(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "x.safetensors")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A failing write leaves the old file and no temporary behind.
	if err := WriteSafetensors(path, map[string]*ts.Tensor{"a": nil}); err == nil {
		t.Fatal("nil tensor accepted")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("failed write changed the file to %q", b)
	}
	if err := WriteSafetensors(path, sampleTensors(t)); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only x.safetensors", names)
	}
}

// stFile assembles a safetensors file from a header string and a data section.
func stFile(header string, data []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestReadSafetensorsCorrupt(t *testing.T) {
	lock(t)
	eight := make([]byte, 8)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"huge header", append(binary.LittleEndian.AppendUint64(nil, 1<<40), '{', '}'), "header length"},
		{"not json", stFile("not json", nil), "JSON"},
		{"bad dtype", stFile(`{"a":{"dtype":"F8","shape":[2],"data_offsets":[0,2]}}`, eight), "dtype"},
		{"size mismatch", stFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight), "needs 12 bytes"},
		{"past end", stFile(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, eight), "truncated"},
		{"negative dim", stFile(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, eight), "negative"},
		{"offsets", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8]}}`, eight), "data_offsets"},
		{"no shape", stFile(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, eight), "shape"},
		{"extra field", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, eight), "unknown field"},
		{"overlap", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "overlap"},
		{"huge shape", stFile(`{"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}}`, eight), "too large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.safetensors")
			if err := os.WriteFile(path, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := ReadSafetensors(path)
			if err == nil {
				dropMap(m)
				t.Fatal("corrupt file accepted")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q should name the file and contain %q", err, c.want)
			}
		})
	}
}

// TestReadSafetensorsTruncated cuts real files at every (small file) or many random (fixture)
// lengths: each cut must give an error naming the file, never a crash or a partial result.
func TestReadSafetensorsTruncated(t *testing.T) {
	lock(t)
	dir := t.TempDir()
	small := filepath.Join(dir, "small.safetensors")
	if err := WriteSafetensors(small, sampleTensors(t)); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	for _, src := range []string{small, filepath.Join(fixture, "safetensors", "model.safetensors")} {
		full, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		var cuts []int
		if len(full) < 4096 {
			for n := 0; n < len(full); n++ {
				cuts = append(cuts, n)
			}
		} else {
			for i := 0; i < 40; i++ {
				cuts = append(cuts, rng.Intn(len(full)))
			}
		}
		cut := filepath.Join(dir, "cut.safetensors")
		for _, n := range cuts {
			if err := os.WriteFile(cut, full[:n], 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := ReadSafetensors(cut)
			if err == nil {
				dropMap(m)
				t.Fatalf("%s cut to %d of %d bytes was accepted", filepath.Base(src), n, len(full))
			}
			if !strings.Contains(err.Error(), cut) {
				t.Fatalf("error %q does not name the file", err)
			}
		}
	}
}

// FuzzReadSafetensors feeds arbitrary bytes to the reader; it must never panic.
// `go test` runs the seeds; `go test -fuzz FuzzReadSafetensors ./model/` explores further.
func FuzzReadSafetensors(f *testing.F) {
	f.Add(stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(stFile(`{"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[],"data_offsets":[0,2]}}`, []byte{1, 2}))
	f.Add([]byte{})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		lock(t)
		path := filepath.Join(dir, "fuzz.safetensors")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if m, err := ReadSafetensors(path); err == nil {
			dropMap(m)
		}
	})
}

// Metadata written with the tensors comes back from the header alone, beside "format", and the
// tensors read as they do without it.
func TestSafetensorsMetadata(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	in := sampleTensors(t)
	defer dropMap(in)
	meta := map[string]string{"method": "lora", "cell": `{"task":"afqmc"}`, "format": "ignored"}
	if err := WriteSafetensorsMeta(path, in, meta); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSafetensorsMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["method"] != "lora" || got["cell"] != `{"task":"afqmc"}` || got["format"] != "pt" {
		t.Fatalf("metadata %v", got)
	}
	out, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	defer dropMap(out)
	if len(out) != len(in) {
		t.Fatalf("%d tensors back, wrote %d", len(out), len(in))
	}
	if _, err := ReadSafetensorsMeta(filepath.Join(t.TempDir(), "missing.safetensors")); err == nil {
		t.Fatal("no error for a missing file")
	}
}
