package download

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

func (c *Client) say(format string, a ...any) {
	if c.Progress != nil {
		fmt.Fprintf(c.Progress, format, a...)
	}
}

// progress returns where the transfer's bytes are counted and what ends the display.
func (c *Client) progress(name string, offset, total int64) (io.Writer, func(ok bool)) {
	if c.Progress == nil {
		return io.Discard, func(bool) {}
	}
	if c.TTY {
		bar := progressbar.NewOptions64(total, progressbar.OptionSetWriter(c.Progress), progressbar.OptionSetDescription(name),
			progressbar.OptionShowBytes(true), progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowCount(), progressbar.OptionOnCompletion(func() { fmt.Fprintln(c.Progress) }))
		_ = bar.Set64(offset) // counting only: the display cannot fail the transfer
		return bar, func(bool) { _ = bar.Finish() }
	}
	from := ""
	if offset > 0 {
		from = fmt.Sprintf(", resuming at %s", Bytes(offset))
	}
	size := "size unknown"
	if total >= 0 {
		size = Bytes(total)
	}
	fmt.Fprintf(c.Progress, "fetch %s (%s%s)\n", name, size, from)
	start := time.Now()
	cw := &countWriter{}
	return cw, func(ok bool) {
		if ok {
			fmt.Fprintf(c.Progress, "fetched %s: %s in %.1fs\n", name, Bytes(offset+cw.n), time.Since(start).Seconds())
		}
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// Bytes formats a byte count for people: "1.2 GB".
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
