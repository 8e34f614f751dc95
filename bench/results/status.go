package results

import (
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
)

// CellStatus looks a cell up in the results directory.
func CellStatus(store *Store, c plan.Cell) (Status, *Result) {
	r, err := store.Read(c.Key())
	if err != nil || r == nil {
		if store.Claimed(c.Key()) {
			return StatusRunning, nil
		}
		return StatusPending, nil
	}
	switch {
	case r.Cell.ID != c.ID:
		return StatusStale, r
	case r.Status == ResultFailed:
		return StatusFailed, r
	default:
		return StatusDone, r
	}
}

// Counts tallies statuses, for summaries.
func Counts(sts []Status) string {
	m := map[Status]int{}
	for _, s := range sts {
		m[s]++
	}
	var parts []string
	for _, s := range []Status{StatusDone, StatusFailed, StatusStale, StatusRunning, StatusPending} {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[s], s))
		}
	}
	return strings.Join(parts, ", ")
}
