package flock

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A second locker of the same path waits until the first releases it, and gives up with the
// context's error when its context ends first.
func TestLockExcludesAndWaits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := Lock(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock while held: %v, want the context's deadline", err)
	}
	got := make(chan error, 1)
	go func() {
		u, err := Lock(context.Background(), path)
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second locker got the lock while the first held it (err %v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("second locker after release: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second locker still waiting after the first released the lock")
	}
}

func TestLockNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "x.lock")
	if _, err := Lock(context.Background(), path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("lock in a missing directory: %v, want an error naming %s", err, path)
	}
}
