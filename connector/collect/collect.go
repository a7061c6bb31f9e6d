package collect

import (
	"slices"
	"sync"

	"github.com/weirstream/weir/connector"
)

// Sink gathers records in memory. It implements connector.Sink[T].
type Sink[T any] struct {
	mu        sync.Mutex
	all       []T
	bySubtask [][]T
}

var _ connector.Sink[int] = (*Sink[int])(nil)

// New returns an empty collecting sink.
func New[T any]() *Sink[T] { return &Sink[T]{} }

// CreateWriter implements connector.Sink.
func (s *Sink[T]) CreateWriter(ctx connector.SinkContext) (connector.SinkWriter[T], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := max(ctx.Parallelism, ctx.Subtask+1); len(s.bySubtask) < n {
		s.bySubtask = append(s.bySubtask, make([][]T, n-len(s.bySubtask))...)
	}
	return &writer[T]{sink: s, subtask: ctx.Subtask}, nil
}

// Records returns a copy of every record received, in arrival order.
func (s *Sink[T]) Records() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.all)
}

// BySubtask returns a copy of the records of each subtask, indexed by
// subtask (as many entries as the largest parallelism seen).
func (s *Sink[T]) BySubtask() [][]T {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]T, len(s.bySubtask))
	for i, r := range s.bySubtask {
		out[i] = slices.Clone(r)
	}
	return out
}

// Len is the number of records received.
func (s *Sink[T]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all)
}

// Reset forgets every record received.
func (s *Sink[T]) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = nil
	for i := range s.bySubtask {
		s.bySubtask[i] = nil
	}
}

type writer[T any] struct {
	sink    *Sink[T]
	subtask int
}

func (w *writer[T]) Write(v T) error {
	s := w.sink
	s.mu.Lock()
	s.all = append(s.all, v)
	s.bySubtask[w.subtask] = append(s.bySubtask[w.subtask], v)
	s.mu.Unlock()
	return nil
}

func (w *writer[T]) Flush(bool) error { return nil }
func (w *writer[T]) Close() error     { return nil }
