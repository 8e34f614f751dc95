package results

import (
	"errors"
	"fmt"
	"strings"

	"github.com/clue-bench/clue-bench/bench/plan"
)

// Status of a cell with respect to a results directory.
type Status string

const (
	StatusPending Status = "pending"
	StatusDone    Status = "done"
	StatusFailed  Status = "failed"
	StatusStale   Status = "stale"   // a result exists for this key but from another config
	StatusRunning Status = "running" // a live worker holds the claim
	// StatusCorrupt: the result file exists but does not parse. The cell reruns like a
	// pending one, and the runner first sets the file aside (Store.SetAside).
	StatusCorrupt Status = "corrupt"
)

// CellStatus looks a cell up in the results directory.
func CellStatus(store *Store, c plan.Cell) (Status, *Result) {
	r, err := store.Read(c.Key())
	if err != nil || r == nil {
		var corrupt *CorruptError
		switch {
		case store.Claimed(c.Key()):
			return StatusRunning, nil
		case errors.As(err, &corrupt):
			return StatusCorrupt, nil
		}
		return StatusPending, nil
	}
	return StatusOf(c, r), r
}

// StatusOf is the status that the result r (not nil) gives cell c: done, failed, or stale
// when r is another config's.
func StatusOf(c plan.Cell, r *Result) Status {
	switch {
	case r.Cell.ID != c.ID:
		return StatusStale
	case r.Status == ResultFailed:
		return StatusFailed
	default:
		return StatusDone
	}
}

// Counts tallies statuses, for summaries.
func Counts(sts []Status) string {
	m := map[Status]int{}
	for _, s := range sts {
		m[s]++
	}
	var parts []string
	for _, s := range []Status{StatusDone, StatusFailed, StatusStale, StatusCorrupt, StatusRunning, StatusPending} {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[s], s))
		}
	}
	return strings.Join(parts, ", ")
}
