package connector

import (
	"context"
	"log/slog"
	"math"
)

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

// FinalCheckpoint is the checkpoint id with which the runtime ends a
// bounded job: at the end of its input a checkpointed sink writer prepares
// its last committables with this id, and they are committed only when every
// task of the job has finished, so a failure anywhere before that publishes
// nothing twice.
const FinalCheckpoint int64 = math.MaxInt64

// CheckpointedSinkWriter is implemented by a SinkWriter that publishes its
// output in step with checkpoints (two-phase commit), which makes the sink
// exactly-once.
//
// PrepareCommit runs in the synchronous part of checkpoint id, on the
// subtask's goroutine, after Flush(false): the writer seals what it has
// written since the last checkpoint (without publishing it) and returns
// opaque committables, which the runtime stores in the checkpoint. At the end
// of a bounded input the runtime calls Flush(true) and then
// PrepareCommit(FinalCheckpoint).
//
// NotifyCheckpointComplete publishes everything prepared for checkpoints up
// to and including id. It is called on the subtask's goroutine once the
// checkpoint is complete (or, for FinalCheckpoint, once the whole job has
// finished); it may be called for an id twice, and must then do nothing.
// Publishing must be idempotent: after a restart, the sink's Recover
// publishes the same committables again.
type CheckpointedSinkWriter interface {
	PrepareCommit(id int64) (committables [][]byte, err error)
	NotifyCheckpointComplete(id int64) error
}

// RecoverableSink is implemented by a Sink whose writers are
// CheckpointedSinkWriters. Recover runs once per attempt of the job, before
// any writer is created: it publishes the committables stored in the
// checkpoint the attempt restores from (the entries of every former subtask;
// nil when the attempt starts without a checkpoint), and removes everything
// earlier attempts left unpublished.
type RecoverableSink interface {
	Recover(ctx context.Context, committables [][]byte) error
}

// RestoreInfo tells a RetractingSink where an attempt of the job starts.
type RestoreInfo struct {
	// Checkpoint is the ID of the checkpoint the attempt restores; 0 when
	// it starts without one.
	Checkpoint int64
	// Newest is the newest checkpoint of the job that may have committed
	// output: the newest one whose metadata was written, intact or
	// damaged. It is above Checkpoint when the restore falls back past
	// damaged checkpoints, or when the user chose an older checkpoint than
	// the newest; otherwise it equals Checkpoint (0 on a fresh start).
	Newest int64
	// Logger carries the job as an attribute.
	Logger *slog.Logger
	// Attempt names the attempt: the same in every process of a cluster
	// that runs part of it, unique across attempts and runs; empty for an
	// attempt that runs in one process only.
	Attempt string
}

// AttemptJoiner is implemented by a sink whose writers must agree on what
// the attempt's recovery decided (the file sink's history). In a cluster,
// recovery (Recover or RecoverFrom) runs once, in the process that runs
// the sink's first subtask, before any writer of the attempt is created
// anywhere; every other process that runs some of the sink's subtasks
// calls JoinAttempt instead, with the same info and committables, to learn
// the same decisions without acting on storage.
type AttemptJoiner interface {
	JoinAttempt(info RestoreInfo, committables [][]byte) error
}

// RetractingSink is implemented by a sink that takes back output: when an
// attempt restores checkpoint n, RecoverFrom leaves the sink's output
// exactly as checkpoint n committed it, taking back whatever checkpoints
// newer than n committed (however far the restore falls back, and however
// often recovery is interrupted and repeated), and then does what Recover
// does. The runtime calls it once per attempt, before any writer is
// created, in place of RecoverableSink.Recover, with the committables
// Recover would get.
//
// Fallback: for a sink that does not implement it, the runtime calls
// Recover (for a RecoverableSink) and nothing else; output that checkpoints
// newer than the restored one committed stays and is written again by the
// resumed job. Execute reports such sinks when it restores an older
// checkpoint than the newest that may have committed (see
// SinksWithoutRetraction).
type RetractingSink interface {
	RecoverFrom(ctx context.Context, info RestoreInfo, committables [][]byte) error
}
