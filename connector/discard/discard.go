package discard

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/weirstream/weir/connector"
)

// Sink drops records and counts them. It implements connector.Sink[T], and
// connector.RetractingSink trivially: it publishes nothing, so a restore of
// an older checkpoint repeats none of its output.
type Sink[T any] struct {
	mu      sync.Mutex
	writers []*writer[T]
}

var (
	_ connector.Sink[int]      = (*Sink[int])(nil)
	_ connector.RetractingSink = (*Sink[int])(nil)
)

// RecoverFrom implements connector.RetractingSink: there is nothing to take
// back. Count keeps counting across attempts.
func (s *Sink[T]) RecoverFrom(context.Context, connector.RestoreInfo, [][]byte) error { return nil }

// New returns a discarding sink.
func New[T any]() *Sink[T] { return &Sink[T]{} }

// CreateWriter implements connector.Sink.
func (s *Sink[T]) CreateWriter(connector.SinkContext) (connector.SinkWriter[T], error) {
	w := &writer[T]{}
	s.mu.Lock()
	s.writers = append(s.writers, w)
	s.mu.Unlock()
	return w, nil
}

// Count is the number of records written so far by all writers.
func (s *Sink[T]) Count() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, w := range s.writers {
		n += w.n.Load()
	}
	return n
}

type writer[T any] struct {
	n atomic.Int64
	_ [56]byte // keep writers' counters on separate cache lines
}

func (w *writer[T]) Write(T) error    { w.n.Add(1); return nil }
func (w *writer[T]) Flush(bool) error { return nil }
func (w *writer[T]) Close() error     { return nil }
