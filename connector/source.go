package connector

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

// Identifier is implemented by sources that can describe their
// configuration in one line ("file /data/in.txt"): a checkpoint records it
// per source, and a restore refuses a checkpoint whose source read
// something else. Implementing it is optional; a source without it is not
// checked. The line must not change between runs of the same job.
type Identifier interface {
	Identity() string
}

// SplitRun says that Records consecutive records of a batch came from the
// split named ID.
type SplitRun struct {
	ID      string
	Records int
}

// SplitBatch says which split each record of a fetched batch came from, and
// which splits have ended.
type SplitBatch struct {
	// Runs cover the records of the batch in order: the first Runs[0].Records
	// records came from split Runs[0].ID, the next ones from Runs[1].ID, and
	// so on; their counts add up to the number of records fetched. A split
	// may appear in several runs.
	Runs []SplitRun
	// Finished names the splits that will produce no more records: those
	// whose last record is in this batch or an earlier one. A split that
	// never produced a record may be named too; it is ignored.
	Finished []string
}

// Add counts one more record of split id, extending the last run when it
// is the same split.
func (b *SplitBatch) Add(id string) {
	if n := len(b.Runs); n > 0 && b.Runs[n-1].ID == id {
		b.Runs[n-1].Records++
		return
	}
	b.Runs = append(b.Runs, SplitRun{ID: id, Records: 1})
}

// Reset empties the batch, keeping its memory, for the next fetch.
func (b *SplitBatch) Reset() {
	clear(b.Runs)
	clear(b.Finished)
	b.Runs, b.Finished = b.Runs[:0], b.Finished[:0]
}

// SplitFetcher is an optional interface of a SourceReader whose input is
// made of splits (files, partitions): FetchSplits is Fetch, with the same
// contract, that also describes the batch in splits, appending to the
// SplitBatch the runtime passes (empty on each call).
//
// The runtime calls FetchSplits instead of Fetch when the source emits its
// own watermarks (SourceNode.Watermarks). It then keeps one
// WatermarkGenerator per split, and the subtask's watermark is the minimum
// over its active splits (Flink's per-split watermarks):
//
//   - a split joins with its first record, with no watermark yet, so it
//     holds event time back from then on until its generator catches up;
//   - a finished split no longer holds event time back, from the end of
//     the batch that names it;
//   - with an idleness timeout, a split without records for that long is
//     idle and does not count until its next record; when every split is
//     idle, the subtask's output is marked idle;
//   - the subtask's watermark never goes back.
//
// Split IDs must be stable for the life of the reader; an ID that comes
// back after it finished is a new split. Runs whose counts do not add up to
// the records fetched fail the task. Readers that do not implement
// SplitFetcher get one generator for the whole subtask.
type SplitFetcher[T any] interface {
	FetchSplits(ctx context.Context, buf []T, splits *SplitBatch) (records []T, position [][]byte, err error)
}
