package state

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/weirstream/weir/internal/filelock"
)

// LocalDirPrefix starts the name of every run directory MakeLocalDir
// makes; LocalDirLock is the lock file inside it that the run holds while
// it lives.
const (
	LocalDirPrefix = "weir-"
	LocalDirLock   = ".lock"
)

// LocalDir is one run's directory for local state (pebble databases and
// their local checkpoints), locked while the run lives.
type LocalDir struct {
	Path string
	lock *os.File
}

// Close releases the run's lock and removes its directory.
func (d *LocalDir) Close() error {
	err := os.RemoveAll(d.Path)
	d.lock.Close()
	return err
}

// MakeLocalDir makes a run directory "weir-<job>-<random>" under root and
// takes an exclusive flock on its lock file for the life of the run (the
// kernel drops it when the process dies, SIGKILL included). Before that it
// removes the run directories under root left by runs that died: those
// whose lock file it can lock. A directory with no lock file (made by an
// older Weir) or whose lock another process holds is left alone, so a live
// run, in this process or another, never loses its state. Its
// removals are logged.
func MakeLocalDir(root, job string, logger *slog.Logger) (*LocalDir, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	removeStaleLocalDirs(root, logger)
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, job)
	dir, err := os.MkdirTemp(root, LocalDirPrefix+safe+"-")
	if err != nil {
		return nil, err
	}
	f, err := filelock.TryLock(filepath.Join(dir, LocalDirLock))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("locking local state directory %s: %w", dir, err)
	}
	return &LocalDir{Path: dir, lock: f}, nil
}

// removeStaleLocalDirs removes the run directories under root whose run
// died: the lock file exists and nobody holds it.
func removeStaleLocalDirs(root string, logger *slog.Logger) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), LocalDirPrefix) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		lockPath := filepath.Join(dir, LocalDirLock)
		if _, err := os.Stat(lockPath); err != nil {
			continue // no lock file: not ours to judge
		}
		f, err := filelock.TryLock(lockPath)
		if err != nil {
			if !errors.Is(err, filelock.ErrLocked) && logger != nil {
				logger.Warn("cannot check a local state directory", "dir", dir, "err", err)
			}
			continue // a live run holds it
		}
		err = os.RemoveAll(dir)
		f.Close()
		if logger != nil {
			if err != nil {
				logger.Warn("cannot remove the local state directory of a dead run", "dir", dir, "err", err)
			} else {
				logger.Info("removed the local state directory of a dead run", "dir", dir)
			}
		}
	}
}
