package download

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func fast() *Client { return &Client{Backoff: time.Millisecond, Attempts: 3} }

func noLeftovers(t *testing.T, dest string) {
	t.Helper()
	if _, err := os.Stat(dest + ".incomplete"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial file left: %v", err)
	}
}

func TestFetchVerifiesAndRenames(t *testing.T) {
	body := payload(10000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "f", time.Time{}, bytes.NewReader(body))
	}))
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "a", "f.bin")
	var log bytes.Buffer
	c := fast()
	c.Progress = &log
	r, err := c.Fetch(context.Background(), Request{URL: srv.URL, Dest: dest, Want: Want{Size: 10000, SHA256: sum(body)}})
	if err != nil || !r.Fetched || r.SHA256 != sum(body) {
		t.Fatalf("Fetch: %+v %v", r, err)
	}
	got, err := os.ReadFile(dest)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("dest: %v", err)
	}
	noLeftovers(t, dest)
	if !strings.Contains(log.String(), "fetch f.bin (10.0 kB)") || !strings.Contains(log.String(), "fetched f.bin: 10.0 kB") {
		t.Errorf("progress lines: %q", log.String())
	}
	// In place and right: no second transfer.
	r, err = c.Fetch(context.Background(), Request{URL: srv.URL + "/gone", Dest: dest, Want: Want{SHA256: sum(body)}})
	if err != nil || r.Fetched {
		t.Fatalf("second Fetch: %+v %v", r, err)
	}
}

// The first response breaks off half-way; the retry asks for the rest with a Range header
// and the file ends up whole.
// On a terminal the transfer draws a progress bar instead of lines.
func TestFetchProgressBar(t *testing.T) {
	body := payload(50000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	var out bytes.Buffer
	c := fast()
	c.Progress, c.TTY = &out, true
	if _, err := c.Fetch(context.Background(), Request{URL: srv.URL, Dest: filepath.Join(t.TempDir(), "w.bin"), Want: Want{Size: 50000}}); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "w.bin") || !strings.Contains(s, "100%") || strings.Contains(s, "fetched w.bin") {
		t.Errorf("progress output %q", s)
	}
}

func TestFetchResumesAfterInterruption(t *testing.T) {
	body := payload(64 << 10)
	var ranges []string
	var mu sync.Mutex
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		mu.Unlock()
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Write(body[:20000])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // drop the connection mid-body
		}
		http.ServeContent(w, r, "f", time.Time{}, bytes.NewReader(body))
	}))
	defer srv.Close()
	srv.Config.ErrorLog = nil
	dest := filepath.Join(t.TempDir(), "f.bin")
	r, err := fast().Fetch(context.Background(), Request{URL: srv.URL, Dest: dest, Want: Want{Size: int64(len(body)), SHA256: sum(body)}})
	if err != nil || !r.Fetched {
		t.Fatalf("Fetch: %v", err)
	}
	if len(ranges) != 2 || ranges[0] != "" || ranges[1] != "bytes=20000-" {
		t.Errorf("ranges asked: %q, want none then bytes=20000-", ranges)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, body) {
		t.Error("resumed file differs")
	}
	noLeftovers(t, dest)
}

// A server that stops sending without closing the connection is given up on after the stall
// timeout, and the retry resumes.
func TestFetchStalledTransfer(t *testing.T) {
	saved := stallTimeout
	stallTimeout = 200 * time.Millisecond
	defer func() { stallTimeout = saved }()
	body := payload(30000)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Write(body[:10000])
			w.(http.Flusher).Flush()
			<-r.Context().Done() // silent until the client gives up
			return
		}
		http.ServeContent(w, r, "f", time.Time{}, bytes.NewReader(body))
	}))
	defer srv.Close()
	var log bytes.Buffer
	c := fast()
	c.Progress = &log
	dest := filepath.Join(t.TempDir(), "f.bin")
	if _, err := c.Fetch(context.Background(), Request{URL: srv.URL, Dest: dest, Want: Want{SHA256: sum(body)}}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || !strings.Contains(log.String(), "no data received for 200ms") {
		t.Errorf("%d requests, log %q", calls.Load(), log.String())
	}
}

// A partial file from an earlier process is resumed, and a server that ignores the range
// (200) makes the transfer start over instead of appending the whole file.
func TestFetchPartialFromBefore(t *testing.T) {
	body := payload(5000)
	for _, honour := range []bool{true, false} {
		t.Run(fmt.Sprint("range=", honour), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !honour {
					w.Write(body)
					return
				}
				http.ServeContent(w, r, "f", time.Time{}, bytes.NewReader(body))
			}))
			defer srv.Close()
			dest := filepath.Join(t.TempDir(), "f.bin")
			os.WriteFile(dest+".incomplete", body[:1234], 0o644)
			if _, err := fast().Fetch(context.Background(), Request{URL: srv.URL, Dest: dest, Want: Want{SHA256: sum(body)}}); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(dest); !bytes.Equal(got, body) {
				t.Error("file differs")
			}
		})
	}
}

func TestFetchRejectsWrongChecksum(t *testing.T) {
	body := payload(3000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	dir := t.TempDir()
	for _, want := range []Want{{SHA256: strings.Repeat("0", 64)}, {Size: 2999}, {GitSHA1: strings.Repeat("1", 40)}} {
		dest := filepath.Join(dir, "f.bin")
		_, err := fast().Fetch(context.Background(), Request{URL: srv.URL, Dest: dest, Want: want})
		var mm *MismatchError
		if !errors.As(err, &mm) {
			t.Fatalf("want %+v: err %v, want a MismatchError", want, err)
		}
		if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("want %+v: a wrong file was left in place", want)
		}
		noLeftovers(t, dest)
	}
}

func TestFetchGitBlobID(t *testing.T) {
	body := []byte("hello\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	// git hash-object of "hello\n"
	_, err := fast().Fetch(context.Background(), Request{URL: srv.URL, Dest: filepath.Join(t.TempDir(), "h"), Want: Want{GitSHA1: "ce013625030ba8dba906f756967f9e9ca394464a"}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFetchStatusErrors(t *testing.T) {
	var calls atomic.Int32
	status := 404
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("X-Error-Code", "EntryNotFound")
		w.WriteHeader(status)
	}))
	defer srv.Close()
	for _, s := range []int{404, 401, 503} {
		status = s
		calls.Store(0)
		_, err := fast().Fetch(context.Background(), Request{URL: srv.URL + "/x", Dest: filepath.Join(t.TempDir(), "x")})
		var he *HTTPError
		if !errors.As(err, &he) || he.StatusCode != s || he.ErrorCode != "EntryNotFound" {
			t.Fatalf("status %d: %v", s, err)
		}
		want := int32(1)
		if s == 503 {
			want = 3 // transient: every attempt
		}
		if calls.Load() != want {
			t.Errorf("status %d: %d requests, want %d", s, calls.Load(), want)
		}
	}
}

// Two fetchers of one file: one downloads it, the other waits on the lock and finds it.
func TestConcurrentFetchersDownloadOnce(t *testing.T) {
	body := payload(100000)
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		time.Sleep(200 * time.Millisecond) // long enough for the other to queue on the lock
		w.Write(body)
	}))
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "f.bin")
	var wg sync.WaitGroup
	results := make([]Result, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = fast().Fetch(context.Background(), Request{URL: srv.URL, Dest: dest, Want: Want{SHA256: sum(body)}})
		}()
	}
	wg.Wait()
	fetched := 0
	for i := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if results[i].Fetched {
			fetched++
		}
	}
	if gets.Load() != 1 || fetched != 1 {
		t.Errorf("%d requests, %d fetchers fetched; want 1 and 1", gets.Load(), fetched)
	}
}

func TestContentRange(t *testing.T) {
	for s, want := range map[string][3]int64{"bytes 5-9/10": {5, 10, 1}, "bytes 0-0/*": {0, -1, 1}, "bytes x-1/2": {0, 0, 0}, "5-9/10": {0, 0, 0}} {
		a, n, ok := contentRange(s)
		if ok != (want[2] == 1) || (ok && (a != want[0] || n != want[1])) {
			t.Errorf("%q: %d %d %v", s, a, n, ok)
		}
	}
}
