package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/clue-bench/clue-bench/internal/flock"
)

// Want is what a finished file must be. Zero fields are unknown and not checked; a file
// whose size and checksums are all unknown is taken as the server sends it (the caller
// records what it got, trust on first use).
type Want struct {
	Size    int64  // bytes; 0 with no checksum means unknown (see Known)
	SHA256  string // lower-case hex
	GitSHA1 string // git's blob id: sha1 of "blob <size>\x00" and the bytes (small files on the HF hub)
}

func (w Want) known() bool { return w.Size > 0 || w.SHA256 != "" || w.GitSHA1 != "" }

// Request is one file to fetch.
type Request struct {
	URL    string
	Dest   string      // the finished file; its directory is created
	Name   string      // how progress and errors name it; Dest's base name when empty
	Header http.Header // extra request headers (authorisation)
	Want   Want
	// Lock and Partial default to Dest+".lock" and Dest+".incomplete".
	Lock, Partial string
}

// Result says what Fetch did.
type Result struct {
	Size    int64
	SHA256  string // of the file in place
	Fetched bool   // false when the file was in place already (another worker fetched it)
}

// Transport is what requests go through unless a Client says otherwise: the default one
// (proxies from the environment) with a limit on waiting for a response's headers, so that a
// server that accepts a connection and never answers is a transient error, not a hang.
var Transport http.RoundTripper = func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	return t
}()

// stallTimeout is how long a transfer may go without receiving a byte before it is broken
// off (and retried, resuming where it stopped).
var stallTimeout = 2 * time.Minute

// Client fetches files. The zero value works: Transport, 5 attempts, no progress.
type Client struct {
	HTTP     *http.Client
	Attempts int           // tries per file for transient errors; 0 means 5
	Backoff  time.Duration // first wait between tries, doubled each time up to a minute; 0 means 1s
	// Progress receives a progress bar when TTY is set, else a line when a transfer starts
	// and one when it ends. nil prints nothing.
	Progress io.Writer
	TTY      bool
}

// HTTPError is a response that is not the file: the status and URL, and the server's error
// code header (the HF hub's X-Error-Code) when it sent one.
type HTTPError struct {
	URL        string
	StatusCode int
	ErrorCode  string
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("GET %s: %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.ErrorCode != "" {
		s += " (" + e.ErrorCode + ")"
	}
	return s
}

// transient is true for statuses worth retrying: the server is overloaded or restarting.
func (e *HTTPError) transient() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusRequestTimeout || e.StatusCode >= 500
}

// Fetch puts req.URL's body at req.Dest. When Dest exists and matches Want (or Want is
// unknown), it is left as it is. Only one process fetches a given Dest at a time; the others
// wait for its lock and then find the file in place.
func (c *Client) Fetch(ctx context.Context, req Request) (Result, error) {
	if req.Name == "" {
		req.Name = filepath.Base(req.Dest)
	}
	if req.Lock == "" {
		req.Lock = req.Dest + ".lock"
	}
	if req.Partial == "" {
		req.Partial = req.Dest + ".incomplete"
	}
	for _, d := range []string{filepath.Dir(req.Dest), filepath.Dir(req.Lock), filepath.Dir(req.Partial)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return Result{}, fmt.Errorf("%s: %w", req.Name, err)
		}
	}
	unlock, err := flock.Lock(ctx, req.Lock)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", req.Name, err)
	}
	defer unlock()
	if r, ok, err := inPlace(req); err != nil || ok {
		return r, err
	}
	attempts, wait := c.Attempts, c.Backoff
	if attempts <= 0 {
		attempts = 5
	}
	if wait <= 0 {
		wait = time.Second
	}
	var last error
	for try := 1; try <= attempts; try++ {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		done, err := c.transfer(ctx, req)
		if err == nil && done {
			return finish(req)
		}
		if err == nil {
			continue // the partial file was stale; start over at once
		}
		var he *HTTPError
		if ctx.Err() != nil || (errors.As(err, &he) && !he.transient()) {
			return Result{}, err
		}
		last = err
		if try < attempts {
			c.say("%s: %v; retrying in %s (attempt %d of %d)\n", req.Name, err, wait, try+1, attempts)
			select {
			case <-ctx.Done():
				return Result{}, ctx.Err()
			case <-time.After(wait):
			}
			wait = min(2*wait, time.Minute)
		}
	}
	return Result{}, fmt.Errorf("%s: giving up after %d attempts (the partial file is kept and resumed next time): %w", req.Name, attempts, last)
}

// inPlace reports a finished file that is already at Dest and right; a wrong one is removed.
func inPlace(req Request) (Result, bool, error) {
	st, err := os.Stat(req.Dest)
	if errors.Is(err, fs.ErrNotExist) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, fmt.Errorf("%s: %w", req.Name, err)
	}
	sum, err := check(req.Dest, req.Name, req.Want)
	var mm *MismatchError
	if errors.As(err, &mm) {
		// A damaged copy from before: fetch a fresh one rather than fail for good.
		if err := os.Remove(req.Dest); err != nil {
			return Result{}, false, fmt.Errorf("%s: %w", req.Name, err)
		}
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, err
	}
	return Result{Size: st.Size(), SHA256: sum}, true, nil
}

// transfer runs one request, appending to the partial file from where it ends. done is false
// without an error when the partial file had to be dropped (the server ignored the range, or
// it was longer than the file) and the transfer should start again.
func (c *Client) transfer(ctx context.Context, req Request) (done bool, err error) {
	f, err := os.OpenFile(req.Partial, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return false, fmt.Errorf("%s: %w", req.Name, err)
	}
	defer f.Close()
	offset, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return false, fmt.Errorf("%s: %w", req.Name, err)
	}
	if req.Want.Size > 0 && offset > req.Want.Size {
		return false, truncate(f, req)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, req.URL, nil)
	if err != nil {
		return false, fmt.Errorf("%s: %w", req.Name, err)
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	// Compressed transfers would make the ranges count compressed bytes.
	hr.Header.Set("Accept-Encoding", "identity")
	if offset > 0 {
		hr.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	httpc := c.HTTP
	if httpc == nil {
		httpc = &http.Client{Transport: Transport}
	}
	resp, err := httpc.Do(hr)
	if err != nil {
		return false, fmt.Errorf("%s: %w", req.Name, err)
	}
	defer resp.Body.Close()
	total := int64(-1)
	switch {
	case resp.StatusCode == http.StatusPartialContent && offset > 0:
		start, size, ok := contentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset {
			return false, truncate(f, req)
		}
		total = size
	case resp.StatusCode == http.StatusOK:
		if offset > 0 {
			if err := truncate(f, req); err != nil {
				return false, err
			}
			offset = 0
		}
		total = resp.ContentLength
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		// The partial file may hold the whole file already (interrupted before the rename);
		// the checks in finish decide.
		return true, nil
	default:
		return false, &HTTPError{URL: req.URL, StatusCode: resp.StatusCode, ErrorCode: resp.Header.Get("X-Error-Code")}
	}
	if total < 0 && req.Want.Size > 0 {
		total = req.Want.Size
	}
	w, end := c.progress(req.Name, offset, total)
	// A connection that stays open without sending anything would block the copy forever;
	// the watchdog cancels the request once nothing has arrived for stallTimeout.
	stalled := errors.New("no data received for " + stallTimeout.String())
	watchdog := time.AfterFunc(stallTimeout, func() { cancel(stalled) })
	defer watchdog.Stop()
	body := readFunc(func(p []byte) (int, error) {
		n, err := resp.Body.Read(p)
		if n > 0 {
			watchdog.Reset(stallTimeout)
		}
		return n, err
	})
	n, err := io.Copy(io.MultiWriter(f, w), body)
	end(err == nil)
	if err != nil {
		if cause := context.Cause(ctx); cause == stalled {
			return false, fmt.Errorf("%s: interrupted after %d bytes: %w", req.Name, offset+n, stalled)
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, fmt.Errorf("%s: interrupted after %d bytes: %w", req.Name, offset+n, err)
	}
	if total >= 0 && offset+n < total {
		return false, fmt.Errorf("%s: connection closed after %d of %d bytes", req.Name, offset+n, total)
	}
	if err := f.Sync(); err != nil {
		return false, fmt.Errorf("%s: %w", req.Name, err)
	}
	return true, nil
}

func truncate(f *os.File, req Request) error {
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("%s: %w", req.Name, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", req.Name, err)
	}
	return nil
}

// finish checks the partial file and renames it into place; a file that fails the checks is
// removed, so that the next try starts from nothing.
func finish(req Request) (Result, error) {
	sum, err := check(req.Partial, req.Name, req.Want)
	if err != nil {
		var mm *MismatchError
		if errors.As(err, &mm) {
			os.Remove(req.Partial)
		}
		return Result{}, err
	}
	st, err := os.Stat(req.Partial)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", req.Name, err)
	}
	if err := os.Rename(req.Partial, req.Dest); err != nil {
		return Result{}, fmt.Errorf("%s: %w", req.Name, err)
	}
	return Result{Size: st.Size(), SHA256: sum, Fetched: true}, nil
}

// contentRange reads "bytes START-END/SIZE"; size is -1 when "*".
func contentRange(s string) (start, size int64, ok bool) {
	s, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, sz, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	a, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	size = -1
	if sz != "*" {
		if size, err = strconv.ParseInt(sz, 10, 64); err != nil {
			return 0, 0, false
		}
	}
	return start, size, true
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }
