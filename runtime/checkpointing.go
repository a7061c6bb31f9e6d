package runtime

import (
	"context"
	"math"
)

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
