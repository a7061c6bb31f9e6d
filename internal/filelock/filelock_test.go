package filelock

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestTryLock: a second lock on the same file fails with ErrLocked while
// the first is held (flock conflicts between open files even within one
// process), and succeeds once it is released.
func TestTryLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".lock")
	f, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock while held: %v, want ErrLocked", err)
	}
	f.Close()
	g, err := TryLock(path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	g.Close()
	if _, err := TryLock(filepath.Join(t.TempDir(), "no", "such", "dir", ".lock")); err == nil || errors.Is(err, ErrLocked) {
		t.Fatalf("lock in a missing directory: %v, want an open error", err)
	}
}
