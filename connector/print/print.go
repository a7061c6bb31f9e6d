package print

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/weirstream/weir/connector"
)

// DefaultFlushInterval is how often buffered lines are written out when
// nothing else flushes them.
const DefaultFlushInterval = 100 * time.Millisecond

const bufferSize = 64 << 10

// Option configures a Sink.
type Option func(*options)

type options struct {
	id       string
	interval time.Duration
	noPrefix bool
}

// WithoutPrefix prints records alone, without the subtask prefix, for jobs
// whose standard output is their result (the word count's "word,count").
func WithoutPrefix() Option { return func(o *options) { o.noPrefix = true } }

// WithIdentifier sets Flink's sink identifier, printed before the subtask
// number: "id:2> record".
func WithIdentifier(id string) Option { return func(o *options) { o.id = id } }

// WithFlushInterval sets how often the background flusher writes buffered
// lines out; 0 or less disables it (lines are then written on Flush, Close
// and when the buffer fills).
func WithFlushInterval(d time.Duration) Option { return func(o *options) { o.interval = d } }

// Sink prints records, one line each. It implements connector.Sink[T].
type Sink[T any] struct {
	format func(T) string
	opts   options
	w      io.Writer

	mu          sync.Mutex
	bw          *bufio.Writer
	flushErr    error // a failure of the background flusher, for the next caller
	open        int   // writers not closed yet
	stopFlusher chan struct{}
	flusherDone chan struct{}
}

var _ connector.Sink[int] = (*Sink[int])(nil)

// New returns a sink printing to w (os.Stdout when nil), each record
// formatted by format (fmt.Sprint when nil).
func New[T any](w io.Writer, format func(T) string, opts ...Option) *Sink[T] {
	if w == nil {
		w = os.Stdout
	}
	if format == nil {
		format = func(v T) string { return fmt.Sprint(v) }
	}
	o := options{interval: DefaultFlushInterval}
	for _, opt := range opts {
		opt(&o)
	}
	return &Sink[T]{format: format, opts: o, w: w, bw: bufio.NewWriterSize(w, bufferSize)}
}

// Prefix is the text printed before each line of a subtask.
func Prefix(id string, subtask, parallelism int) string {
	p := id
	if parallelism > 1 {
		if p != "" {
			p += ":"
		}
		p += strconv.Itoa(subtask + 1)
	}
	if p != "" {
		p += "> "
	}
	return p
}

// CreateWriter implements connector.Sink.
func (s *Sink[T]) CreateWriter(ctx connector.SinkContext) (connector.SinkWriter[T], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open++
	if s.open == 1 && s.opts.interval > 0 {
		s.stopFlusher = make(chan struct{})
		s.flusherDone = make(chan struct{})
		go s.flusher(s.stopFlusher, s.flusherDone)
	}
	prefix := Prefix(s.opts.id, ctx.Subtask, ctx.Parallelism)
	if s.opts.noPrefix {
		prefix = ""
	}
	return &writer[T]{sink: s, prefix: prefix}, nil
}

func (s *Sink[T]) flusher(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(s.opts.interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.mu.Lock()
			if s.bw.Buffered() > 0 {
				if err := s.flushLocked(); err != nil && s.flushErr == nil {
					s.flushErr = err
				}
			}
			s.mu.Unlock()
		}
	}
}

// flushLocked writes the buffer out; on failure it drops the buffer, so a
// later writer (of a restarted attempt, say) starts clean.
func (s *Sink[T]) flushLocked() error {
	if err := s.bw.Flush(); err != nil {
		s.bw.Reset(s.w)
		return fmt.Errorf("print sink: %w", err)
	}
	return nil
}

// takeErrLocked returns and clears a failure of the background flusher.
func (s *Sink[T]) takeErrLocked() error {
	err := s.flushErr
	s.flushErr = nil
	return err
}

type writer[T any] struct {
	sink   *Sink[T]
	prefix string
	closed bool
}

// Write prints one line.
func (w *writer[T]) Write(v T) error {
	line := w.sink.format(v)
	s := w.sink
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.takeErrLocked(); err != nil {
		return err
	}
	s.bw.WriteString(w.prefix)
	s.bw.WriteString(line)
	if err := s.bw.WriteByte('\n'); err != nil {
		s.bw.Reset(s.w)
		return fmt.Errorf("print sink: %w", err)
	}
	return nil
}

// Flush writes the shared buffer out.
func (w *writer[T]) Flush(bool) error {
	s := w.sink
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.takeErrLocked(); err != nil {
		return err
	}
	return s.flushLocked()
}

// Close flushes; the last writer of the sink to close stops the background
// flusher.
func (w *writer[T]) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	s := w.sink
	s.mu.Lock()
	err := s.takeErrLocked()
	if ferr := s.flushLocked(); err == nil {
		err = ferr
	}
	s.open--
	var stop, done chan struct{}
	if s.open == 0 {
		stop, done = s.stopFlusher, s.flusherDone
		s.stopFlusher, s.flusherDone = nil, nil
	}
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	return err
}
