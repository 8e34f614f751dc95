//go:build cgo

package model

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch/ts"

	"github.com/clue-bench/clue-bench/internal/tsx"
)

// Bad checkpoints, each made from the committed fixture (testdata/tiny) by the test itself.
// Every one must give an error that names the file and what is wrong with it, and nothing of
// a Go panic or a libtorch backtrace.

// traceMarks must never appear in an error a user sees.
var traceMarks = []string{"panic", "goroutine ", "Exception raised from", "frame #", "runtime error"}

// checkError fails unless err is non-nil, contains every want and no trace mark.
func checkError(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", wants)
	}
	msg := err.Error()
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
	for _, m := range traceMarks {
		if strings.Contains(msg, m) {
			t.Errorf("error contains %q:\n%s", m, msg)
		}
	}
}

func readFixture(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{fixture}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rezip rebuilds a torch zip checkpoint, member by member, through edit (by the member's base
// name: "data.pkl", "0", …), which returns the new contents and whether to keep the member.
// Members are stored, so their CRCs are correct for the edited contents.
func rezip(t *testing.T, src []byte, edit func(base string, data []byte) ([]byte, bool)) []byte {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		data, keep := edit(filepath.Base(f.Name), data)
		if !keep {
			continue
		}
		fw, err := w.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// withPickle replaces a zip checkpoint's data.pkl.
func withPickle(t *testing.T, src []byte, pkl string) []byte {
	return rezip(t, src, func(base string, data []byte) ([]byte, bool) {
		if base == "data.pkl" {
			return []byte(pkl), true
		}
		return data, true
	})
}

// binunicode8 is a pickle string opcode claiming n bytes of text.
func binunicode8(n uint64) string {
	return "\x8d" + string(binary.LittleEndian.AppendUint64(nil, n))
}

// word is the fixture's first tensor, held by storage "0" (2048 float32s).
const word = "bert.embeddings.word_embeddings.weight"

func TestBadCheckpoints(t *testing.T) {
	lock(t)
	bin := readFixture(t, "bin", "pytorch_model.bin")
	legacy := readFixture(t, "legacy", "pytorch_model.bin")
	st := readFixture(t, "safetensors", "model.safetensors")
	lastStorage := len(legacy) - 100 // inside the last storage's elements

	// The legacy file with its state-dict pickle's first opcode after PROTO replaced by 0xff.
	badOp := bytes.Clone(legacy)
	if i := bytes.Index(badOp, []byte("\x80\x02ccollections\nOrderedDict")); i < 0 {
		t.Fatal("fixture's legacy state dict pickle not found")
	} else {
		badOp[i+2] = 0xff
	}
	// The zip with storage 0's element count in data.pkl raised from 2048 (BININT2) to 65535.
	bigNumel := rezip(t, bin, func(base string, data []byte) ([]byte, bool) {
		if base == "data.pkl" {
			data = bytes.Replace(data, []byte("X\x03\x00\x00\x00cpuq\x07M\x00\x08"), []byte("X\x03\x00\x00\x00cpuq\x07M\xff\xff"), 1)
		}
		return data, true
	})
	if bytes.Equal(bigNumel, rezip(t, bin, func(_ string, d []byte) ([]byte, bool) { return d, true })) {
		t.Fatal("storage 0's element count not found in data.pkl")
	}
	// A flipped byte inside storage 0's member, without fixing the zip's CRC.
	flipped := bytes.Clone(bin)
	if zr, err := zip.NewReader(bytes.NewReader(bin), int64(len(bin))); err != nil {
		t.Fatal(err)
	} else {
		for _, f := range zr.File {
			if strings.HasSuffix(f.Name, "/data/0") {
				off, err := f.DataOffset()
				if err != nil {
					t.Fatal(err)
				}
				flipped[off+100] ^= 0x5a
			}
		}
	}
	random := make([]byte, 4096)
	rand.New(rand.NewSource(7)).Read(random)
	random[0] = 0x80 // looks like a pickle at first

	cases := []struct {
		name string
		file string // base name: decides the reader
		data []byte
		want []string
	}{
		// torch.save zip format
		{"zip truncated", "pytorch_model.bin", bin[:len(bin)/2], []string{"damaged zip archive", "truncated"}},
		{"zip crc", "pytorch_model.bin", flipped, []string{"damaged zip archive", "data/0", "checksum"}},
		{"zip without data.pkl", "pytorch_model.bin", rezip(t, bin, func(b string, d []byte) ([]byte, bool) { return d, b != "data.pkl" }), []string{"not a PyTorch checkpoint", "data.pkl"}},
		{"pickle bad opcode", "pytorch_model.bin", withPickle(t, bin, "\x80\x02\xff"), []string{"data.pkl", "byte 2", "0xff is not a pickle opcode"}},
		{"pickle huge string", "pytorch_model.bin", withPickle(t, bin, "\x80\x04"+binunicode8(1<<62)+"."), []string{"data.pkl", "BINUNICODE8", "4611686018427387904 bytes"}},
		{"pickle negative length", "pytorch_model.bin", withPickle(t, bin, "\x80\x02T\xff\xff\xff\xff."), []string{"data.pkl", "BINSTRING", "negative length"}},
		{"pickle huge frame", "pytorch_model.bin", withPickle(t, bin, "\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\x7f"), []string{"data.pkl", "FRAME"}},
		{"pickle odd dict", "pytorch_model.bin", withPickle(t, bin, "\x80\x02}(X\x01\x00\x00\x00au."), []string{"data.pkl", "SETITEMS", "odd number"}},
		{"pickle empty stack", "pytorch_model.bin", withPickle(t, bin, "\x80\x02."), []string{"data.pkl", "STOP", "stack is empty"}},
		{"pickle unknown memo", "pytorch_model.bin", withPickle(t, bin, "\x80\x02h\x05."), []string{"data.pkl", "BINGET", "memo key 5"}},
		{"pickle cut short", "pytorch_model.bin", withPickle(t, bin, "\x80\x02}q\x00(X\x05\x00\x00"), []string{"data.pkl", "truncated"}},
		{"list not dict", "pytorch_model.bin", withPickle(t, bin, "\x80\x02]q\x00."), []string{"top-level object is a list", "state dict"}},
		{"whole model", "pytorch_model.bin", withPickle(t, bin, "\x80\x02c__main__\nNet\nq\x00)\x81q\x01."), []string{"__main__.Net", "state_dict()"}},
		{"training checkpoint", "pytorch_model.bin", withPickle(t, bin, "\x80\x02}X\x05\x00\x00\x00model}s."), []string{`entry "model" is a dict, not a tensor`, "state_dict()"}},
		{"storage member missing", "pytorch_model.bin", rezip(t, bin, func(b string, d []byte) ([]byte, bool) { return d, b != "0" }), []string{`tensor "` + word + `"`, "no member data/0"}},
		{"storage member short", "pytorch_model.bin", rezip(t, bin, func(b string, d []byte) ([]byte, bool) {
			if b == "0" {
				d = d[:4000]
			}
			return d, true
		}), []string{`tensor "` + word + `" (and`, "needs 8192 bytes (storage 0: 2048 × Float)", "holds 4000"}},
		{"storage numel", "pytorch_model.bin", bigNumel, []string{`tensor "` + word + `" (and`, "needs 262140 bytes", "holds 8192"}},

		// torch.save legacy format
		{"legacy truncated in data", "pytorch_model.bin", legacy[:lastStorage], []string{"truncated: tensor", "bytes", "left"}},
		{"legacy truncated in pickle", "pytorch_model.bin", legacy[:300], []string{"truncated"}},
		{"legacy bad opcode", "pytorch_model.bin", badOp, []string{"malformed state dict pickle", "0xff is not a pickle opcode"}},
		{"legacy bad magic", "pytorch_model.bin", append([]byte("\x80\x02K\x07."), legacy[len("\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."):]...), []string{"not a PyTorch checkpoint", "magic number"}},

		// other files under the checkpoint's name
		{"empty", "pytorch_model.bin", nil, []string{"not a PyTorch checkpoint", "empty"}},
		{"git lfs pointer", "pytorch_model.bin", []byte("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 409\n"), []string{"not a PyTorch checkpoint", "Git LFS pointer"}},
		{"html page", "pytorch_model.bin", []byte("\n<!DOCTYPE html><html><body>404</body></html>"), []string{"not a PyTorch checkpoint", "HTML"}},
		{"safetensors named .bin", "pytorch_model.bin", st, []string{"not a PyTorch checkpoint", "name it model.safetensors"}},
		{"random bytes", "pytorch_model.bin", random, []string{"not a PyTorch checkpoint"}},

		// safetensors
		{"torch zip named .safetensors", "model.safetensors", bin, []string{"not a safetensors file", "name it pytorch_model.bin"}},
		{"safetensors truncated", "model.safetensors", st[:len(st)-10], []string{"truncated", `tensor "`}},
		{"safetensors header cut", "model.safetensors", st[:200], []string{"header length"}},
		{"safetensors bad offsets", "model.safetensors", stFile(`{"`+word+`":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}`, make([]byte, 8)), []string{`tensor "` + word + `"`, "bad data_offsets"}},
		{"safetensors shape vs bytes", "model.safetensors", stFile(`{"`+word+`":{"dtype":"F32","shape":[64,32],"data_offsets":[0,8]}}`, make([]byte, 8)), []string{`tensor "` + word + `"`, "needs 8192 bytes"}},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("case %q twice", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.file)
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := ReadCheckpoint(path)
			if err == nil {
				dropMap(m)
			}
			checkError(t, err, append([]string{path}, c.want...)...)
		})
	}
}

// TestConfigCheckpointMismatch loads the fixture's weights into models whose config.json
// disagrees with them: the error names both files, the tensor and the config field.
func TestConfigCheckpointMismatch(t *testing.T) {
	lock(t)
	cfg := string(readFixture(t, "safetensors", "config.json"))
	weights := readFixture(t, "safetensors", "model.safetensors")
	cases := []struct {
		name, old, new string
		want           []string
	}{
		{"vocab_size", `"vocab_size": 64`, `"vocab_size": 100`, []string{word, "checkpoint [64 32], model [100 32]", "vocab_size × hidden_size"}},
		{"type_vocab_size", `"type_vocab_size": 2`, `"type_vocab_size": 3`, []string{"bert.embeddings.token_type_embeddings.weight", "type_vocab_size"}},
		{"max_position_embeddings", `"max_position_embeddings": 40`, `"max_position_embeddings": 512`, []string{"bert.embeddings.position_embeddings.weight", "max_position_embeddings"}},
		{"intermediate_size", `"intermediate_size": 64`, `"intermediate_size": 128`, []string{"bert.encoder.layer.0.intermediate.dense.weight", "intermediate_size"}},
		{"num_hidden_layers", `"num_hidden_layers": 2`, `"num_hidden_layers": 3`, []string{"missing bert.encoder.layer.2.attention.self.query.weight"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			edited := strings.Replace(cfg, c.old, c.new, 1)
			if edited == cfg {
				t.Fatalf("%s not in the fixture's config", c.old)
			}
			for name, body := range map[string][]byte{"config.json": []byte(edited), "model.safetensors": weights} {
				if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			d := openDir(t, dir)
			_, vs := encoderFor(t, d)
			_, err := LoadWeights(d, vs)
			checkError(t, err, append([]string{d.WeightsFile, filepath.Join(dir, "config.json")}, c.want...)...)
		})
	}
}

// TestForwardIDsOutOfRange feeds ids past the embedding tables: the error names the table and
// the config field, without libtorch's backtrace.
func TestForwardIDsOutOfRange(t *testing.T) {
	lock(t)
	enc, _ := newTinyEncoder(t)
	ids := func(v ...int64) *ts.Tensor {
		x, err := ts.OfSlice(v)
		if err != nil {
			t.Fatal(err)
		}
		y, err := x.View([]int64{1, int64(len(v))}, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tsx.Drop(y) })
		return y
	}
	cases := []struct {
		name string
		b    Batch
		want []string
	}{
		{"input id", Batch{InputIDs: ids(2, 64, 3)}, []string{"word embeddings", "vocab_size 64", "index out of range"}},
		{"type id", Batch{InputIDs: ids(2, 5, 3), TypeIDs: ids(0, 2, 0)}, []string{"token type embeddings", "type_vocab_size 2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := noGrad(func() error {
				out, err := enc.Forward(c.b, false)
				tsx.Drop(out.Hidden, out.Pooled)
				return err
			})
			checkError(t, err, c.want...)
		})
	}
}

func TestReadConfigTrailingData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	body := string(readFixture(t, "safetensors", "config.json")) + "\n{\"vocab_size\": 9}\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadConfig(path)
	checkError(t, err, path, "data after the closing brace")
}
