// Package filelock takes the advisory file locks that tell a live Weir
// process's files from a dead one's: an exclusive flock(2) on a lock file,
// held while the file stays open and dropped by the kernel when the
// process dies, SIGKILL included. Linux and the BSDs have flock; other
// systems are not supported.
package filelock

import (
	"errors"
	"os"
	"syscall"
)

// ErrLocked means another open file (in this process or another) holds
// the lock.
var ErrLocked = errors.New("locked by another process")

// TryLock creates path if needed and takes an exclusive lock on it
// without waiting. The lock lasts until the returned file is closed. It
// fails with an error wrapping ErrLocked when another holds it.
func TryLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, &os.PathError{Op: "flock", Path: path, Err: err}
	}
	return f, nil
}
