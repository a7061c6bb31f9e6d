package runtime

import (
	"context"
	"log/slog"
)

// Source is the contract between the runtime and a data source. The runtime
// calls CreateReader once per source subtask, on the subtask's goroutine.
//
// A source is parallel: subtask i of p reads its own share of the input
// (its splits). A source whose input cannot be split (a socket) refuses a
// parallelism above 1 in CreateReader.
type Source[T any] interface {
	CreateReader(ctx SourceContext) (SourceReader[T], error)
}

// SourceContext tells a reader which share of the input it owns and what it
// must resume from.
type SourceContext struct {
	// Subtask is this reader's 0-based index; Parallelism the number of readers.
	Subtask, Parallelism int
	// Restored holds the position entries this subtask must resume from, as
	// returned by Fetch before the checkpoint the job restarts from; nil on a
	// fresh start. After a change of parallelism the runtime redistributes the
	// entries of all former subtasks (even split), so a reader must accept any
	// subset of the entries its source ever produced.
	Restored [][]byte
	// Logger carries the job, operator and subtask as attributes.
	Logger *slog.Logger
}

// SourceReader fetches records for one source subtask.
//
// Fetch runs on a fetcher goroutine owned by the subtask, never on the
// subtask's own goroutine, so it may block on I/O. It must return when ctx is
// cancelled. Fetch appends at least one record to buf and returns it, or
// returns io.EOF at the end of the input (possibly with a last few records).
// With the records it returns the reader's position after them, as a list of
// opaque entries (one per split, say); the runtime snapshots the position of
// the last batch it has fully processed, so the position must describe
// exactly the records returned so far. A reader whose input cannot be
// replayed (a socket) returns a nil position.
//
// Close releases the reader's resources; it is called after the fetcher
// goroutine has stopped, whether the input ended or the task was cancelled.
//
// Fetch appends at most cap(buf)-len(buf) records: the runtime sizes batches
// (and rate limiters throttle) through the capacity it passes.
type SourceReader[T any] interface {
	Fetch(ctx context.Context, buf []T) (records []T, position [][]byte, err error)
	Close() error
}

// StartPositioner is an optional interface of a SourceReader whose input
// can be replayed. StartPosition is the reader's position before its first
// Fetch: the entries of the splits it was given, none read yet. The
// runtime calls it once, on the subtask's goroutine, after CreateReader on
// a fresh start and before the first Fetch, so that a checkpoint taken
// before the reader's first batch records its splits too.
//
// Without it such a checkpoint stores no position for the subtask. A
// restore at the same parallelism then starts that subtask afresh (exact:
// it had read nothing), but a restore at another parallelism is refused
// (ErrMissingListState), since its splits are not in the checkpoint.
type StartPositioner interface {
	StartPosition() [][]byte
}

// Sink is the contract between the runtime and a data sink. The runtime calls
// CreateWriter once per sink subtask, on the subtask's goroutine.
type Sink[T any] interface {
	CreateWriter(ctx SinkContext) (SinkWriter[T], error)
}

// SinkContext tells a writer which subtask it serves.
type SinkContext struct {
	Subtask, Parallelism int
	// Logger carries the job, operator and subtask as attributes.
	Logger *slog.Logger
}

// SinkWriter receives the records of one sink subtask. All of its methods are
// called on the subtask's goroutine, one at a time.
//
// Write takes one record; an error fails the task. Flush pushes buffered
// records to their destination; the runtime calls it before each
// checkpoint's snapshot with endOfInput false, and once at the end of a
// bounded input with endOfInput true (after which the writer may publish
// everything it holds). Close releases resources; it is called once, also
// after a failure without any Flush(true), and must then not publish partial
// results that a later attempt would write again.
type SinkWriter[T any] interface {
	Write(v T) error
	Flush(endOfInput bool) error
	Close() error
}
