package state

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/weirstream/weir/internal/units"
)

// ErrLocalDiskFull means the pebble backend's local directory
// (state.backend.rocksdb.localdir) has no space left: the database cannot
// flush its memtable, so the task fails (and the restart strategy decides)
// instead of waiting for a flush that pebble retries forever.
var ErrLocalDiskFull = errors.New("state: local state directory is full")

// diskWatch records the first ENOSPC of a pebble database's background
// work (flushes, compactions), which pebble retries in a tight loop, and
// rate-limits the log of its background errors to one line per
// logInterval (with the count of those left out).
type diskWatch struct {
	dir    string // the local directory, for the message
	need   int64  // the bytes a flush needs (the write buffer)
	log    *slog.Logger
	full   atomic.Pointer[error]
	fullCh chan struct{}
	once   sync.Once

	mu      sync.Mutex
	last    time.Time
	dropped int
}

// logInterval is the least time between two logged background errors.
const logInterval = 10 * time.Second

func newDiskWatch(dir string, need int64, log *slog.Logger) *diskWatch {
	return &diskWatch{dir: dir, need: need, log: log, fullCh: make(chan struct{})}
}

// backgroundError is pebble's EventListener.BackgroundError.
func (w *diskWatch) backgroundError(err error) {
	if errors.Is(err, syscall.ENOSPC) {
		w.once.Do(func() {
			e := w.fullError()
			w.full.Store(&e)
			close(w.fullCh)
		})
	}
	w.mu.Lock()
	now := time.Now()
	if !w.last.IsZero() && now.Sub(w.last) < logInterval {
		w.dropped++
		w.mu.Unlock()
		return
	}
	dropped := w.dropped
	w.last, w.dropped = now, 0
	w.mu.Unlock()
	if dropped > 0 {
		w.log.Warn("pebble: background error", "err", err.Error(), "suppressed", dropped, "since", logInterval)
	} else {
		w.log.Warn("pebble: background error", "err", err.Error())
	}
}

// err returns the disk-full error once one was seen, else nil.
func (w *diskWatch) err() error {
	if p := w.full.Load(); p != nil {
		return *p
	}
	return nil
}

// fullError says which directory is full, what is free and what a flush
// needs, and what to do.
func (w *diskWatch) fullError() error {
	free := "unknown"
	var st syscall.Statfs_t
	if syscall.Statfs(w.dir, &st) == nil {
		free = units.Bytes(int64(st.Bavail) * int64(st.Bsize))
	}
	return fmt.Errorf("%w: %s has %s free, a memtable flush needs about %s more; free space there or set state.backend.rocksdb.localdir to a larger disk",
		ErrLocalDiskFull, w.dir, free, units.Bytes(w.need))
}
