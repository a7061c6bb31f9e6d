package file

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/weirstream/weir/runtime"
)

// DefaultRollSize is the size at which a part file is finished and a new
// one started.
const DefaultRollSize = 128 << 20

const writeBufferSize = 256 << 10

// Sink writes records as lines of part files in a directory. It implements
// runtime.Sink[string]; see the package doc.
type Sink struct {
	dir      string
	rollSize int64
}

var _ runtime.Sink[string] = (*Sink)(nil)

// SinkOption configures a Sink.
type SinkOption func(*Sink)

// WithRollSize sets the size in bytes at which a part file is rolled. A
// single record longer than that still goes into one file.
func WithRollSize(bytes int64) SinkOption { return func(s *Sink) { s.rollSize = bytes } }

// NewSink returns a sink writing part files into dir.
func NewSink(dir string, opts ...SinkOption) *Sink {
	s := &Sink{dir: dir, rollSize: DefaultRollSize}
	for _, o := range opts {
		o(s)
	}
	return s
}

// FinishedName is the published name of part file n of a subtask.
func FinishedName(subtask int, n int64) string {
	return "part-" + strconv.Itoa(subtask) + "-" + strconv.FormatInt(n, 10)
}

// InProgressName is the hidden name of a part file not yet published.
func InProgressName(subtask int, n int64) string {
	return "." + FinishedName(subtask, n) + ".inprogress"
}

// parsePartName returns the subtask and counter of a finished or in-progress
// part file name.
func parsePartName(name string) (subtask int, n int64, ok bool) {
	if s, found := strings.CutPrefix(name, "."); found {
		if name, found = strings.CutSuffix(s, ".inprogress"); !found {
			return 0, 0, false
		}
	}
	rest, found := strings.CutPrefix(name, "part-")
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rest, "-")
	if !found {
		return 0, 0, false
	}
	st, err1 := strconv.Atoi(a)
	c, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || st < 0 || c < 0 {
		return 0, 0, false
	}
	return st, c, true
}

// CreateWriter creates the directory if needed, picks the subtask's first
// part counter and opens its first in-progress file (so an unwritable
// directory fails here).
func (s *Sink) CreateWriter(ctx runtime.SinkContext) (runtime.SinkWriter[string], error) {
	if s.rollSize <= 0 {
		return nil, fmt.Errorf("file sink %s: roll size must be positive, got %d", s.dir, s.rollSize)
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("file sink: cannot create directory %s: %w", s.dir, cause(err))
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("file sink: cannot read directory %s: %w", s.dir, cause(err))
	}
	next := int64(0)
	for _, e := range entries {
		if st, n, ok := parsePartName(e.Name()); ok && st == ctx.Subtask && n >= next {
			next = n + 1
		}
	}
	w := &writer{dir: s.dir, subtask: ctx.Subtask, rollSize: s.rollSize, next: next}
	if err := w.openPart(); err != nil {
		return nil, err
	}
	return w, nil
}

// cause drops the *fs.PathError decoration when the message already names
// the path.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// part is one part file of a writer.
type part struct {
	tmp, final string
	f          *os.File
	size       int64
}

type writer struct {
	dir      string
	subtask  int
	rollSize int64
	next     int64 // counter of the next part file

	cur *part // in-progress file, nil until the next Write after Flush(true)
	bw  *bufio.Writer

	// pending are finished part files (flushed, fsynced, closed, still under
	// their hidden name) that are not published yet. Flush(true) publishes
	// them; a checkpoint-committing writer would publish them per checkpoint.
	pending []*part

	err    error // sticky: the first write failure
	closed bool
}

func (w *writer) openPart() error {
	for tries := 0; ; tries++ {
		p := &part{
			tmp:   filepath.Join(w.dir, InProgressName(w.subtask, w.next)),
			final: filepath.Join(w.dir, FinishedName(w.subtask, w.next)),
		}
		w.next++
		f, err := os.OpenFile(p.tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) && tries < 1000 {
			continue // another writer of the same subtask took this counter
		}
		if err != nil {
			return fmt.Errorf("file sink: cannot write to directory %s: %w", w.dir, cause(err))
		}
		p.f = f
		if w.bw == nil {
			w.bw = bufio.NewWriterSize(f, writeBufferSize)
		} else {
			w.bw.Reset(f)
		}
		w.cur = p
		return nil
	}
}

// Write appends v and a newline to the in-progress file, rolling first if
// the file would grow past the roll size.
func (w *writer) Write(v string) error {
	if w.err != nil {
		return w.err
	}
	if w.cur == nil {
		if err := w.openPart(); err != nil {
			return w.fail(err)
		}
	} else if w.cur.size > 0 && w.cur.size+int64(len(v))+1 > w.rollSize {
		if err := w.finishCurrent(); err != nil {
			return w.fail(err)
		}
		if err := w.openPart(); err != nil {
			return w.fail(err)
		}
	}
	w.bw.WriteString(v)
	if err := w.bw.WriteByte('\n'); err != nil {
		return w.fail(fmt.Errorf("file sink: %w", err))
	}
	w.cur.size += int64(len(v)) + 1
	return nil
}

func (w *writer) fail(err error) error {
	w.err = err
	return err
}

// finishCurrent flushes, fsyncs and closes the in-progress file and moves it
// to the pending list; an empty file is removed instead.
func (w *writer) finishCurrent() error {
	p := w.cur
	if p == nil {
		return nil
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("file sink: %w", err)
	}
	if p.size > 0 {
		if err := p.f.Sync(); err != nil {
			return fmt.Errorf("file sink: %w", err)
		}
	}
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("file sink: %w", err)
	}
	p.f = nil
	w.cur = nil
	if p.size == 0 {
		if err := os.Remove(p.tmp); err != nil {
			return fmt.Errorf("file sink: %w", err)
		}
		return nil
	}
	w.pending = append(w.pending, p)
	return nil
}

// publishPending renames the given finished files to their visible names
// and fsyncs the directory.
func (w *writer) publishPending(parts []*part) error {
	if len(parts) == 0 {
		return nil
	}
	for _, p := range parts {
		if err := os.Rename(p.tmp, p.final); err != nil {
			return fmt.Errorf("file sink: publish: %w", err)
		}
	}
	return syncDir(w.dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("file sink: sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("file sink: sync directory: %w", err)
	}
	return nil
}

// Flush pushes buffered lines to the in-progress file; at the end of the
// input it also finishes that file and publishes every pending file.
func (w *writer) Flush(endOfInput bool) error {
	if w.err != nil {
		return w.err
	}
	if !endOfInput {
		if w.cur == nil {
			return nil
		}
		if err := w.bw.Flush(); err != nil {
			return w.fail(fmt.Errorf("file sink: %w", err))
		}
		return nil
	}
	if err := w.finishCurrent(); err != nil {
		return w.fail(err)
	}
	if err := w.publishPending(w.pending); err != nil {
		return w.fail(err)
	}
	w.pending = nil
	return nil
}

// Close removes every file not published by Flush(true): the in-progress
// file and the pending ones.
func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	var errs []error
	if p := w.cur; p != nil {
		w.cur = nil
		if err := p.f.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := os.Remove(p.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, p := range w.pending {
		if err := os.Remove(p.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	w.pending = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("file sink: close: %w", err)
	}
	return nil
}
