package bench

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// display shows progress: two progress bars on a terminal (cells, and the current cell's
// steps with loss and the last dev metric), or plain periodic lines otherwise (CI logs).
type display struct {
	w     io.Writer
	tty   bool
	cells *progressbar.ProgressBar
	steps *progressbar.ProgressBar
	mu    sync.Mutex
	lines [2]string // last rendering of each bar
	// plain mode
	name      string
	total     int
	lastPrint time.Time
	lastEval  string
}

// sink receives one bar's renderings; progressbar redraws with "\r", so the latest text wins.
type sink struct {
	d   *display
	row int
}

func (s sink) Write(p []byte) (int, error) {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	txt := string(p)
	if i := strings.LastIndex(txt, "\r"); i >= 0 {
		txt = txt[i+1:]
	}
	if strings.TrimSpace(txt) == "" {
		return len(p), nil
	}
	s.d.lines[s.row] = strings.TrimRight(txt, "\n")
	// Redraw both rows and return the cursor to the first.
	fmt.Fprintf(s.d.w, "\r\033[K%s\n\r\033[K%s\033[1A\r", s.d.lines[0], s.d.lines[1])
	return len(p), nil
}

func newDisplay(w io.Writer, tty bool, nCells int) *display {
	d := &display{w: w, tty: tty}
	if tty {
		d.cells = progressbar.NewOptions(nCells, progressbar.OptionSetWriter(sink{d, 0}),
			progressbar.OptionSetDescription("cells"), progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30), progressbar.OptionSetPredictTime(true), progressbar.OptionShowElapsedTimeOnFinish())
	}
	return d
}

func (d *display) startCell(i, n int, name string) {
	d.name = name
	if !d.tty {
		fmt.Fprintf(d.w, "[%d/%d] %s: start\n", i+1, n, name)
		return
	}
	d.cells.Describe(fmt.Sprintf("cells (%s)", name))
}

func (d *display) endCell(status string, headline string) {
	if !d.tty {
		fmt.Fprintf(d.w, "  %s: %s %s\n", d.name, status, headline)
		return
	}
	if d.steps != nil {
		_ = d.steps.Finish()
	}
	_ = d.cells.Add(1)
}

func (d *display) finish() {
	if d.tty {
		fmt.Fprint(d.w, "\n\n")
	}
}

// cellProgress for the current cell.
func (d *display) start(total int) {
	d.total = total
	d.lastPrint = time.Now()
	d.lastEval = ""
	if d.tty {
		d.steps = progressbar.NewOptions(total, progressbar.OptionSetWriter(sink{d, 1}),
			progressbar.OptionSetDescription("steps"), progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond))
	}
}

func (d *display) step(done int, loss float64) {
	if d.tty {
		d.steps.Describe(fmt.Sprintf("steps loss %.4f%s", loss, d.lastEval))
		_ = d.steps.Set(done)
		return
	}
	if time.Since(d.lastPrint) > 30*time.Second {
		d.lastPrint = time.Now()
		fmt.Fprintf(d.w, "  %s: step %d/%d loss %.4f%s\n", d.name, done, d.total, loss, d.lastEval)
	}
}

func (d *display) eval(step int, metric string, v float64) {
	d.lastEval = fmt.Sprintf(" dev %s %.2f", metric, v)
	if !d.tty {
		fmt.Fprintf(d.w, "  %s: step %d/%d%s\n", d.name, step, d.total, d.lastEval)
	}
}
