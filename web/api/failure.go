package api

// Why a checkpoint failed, as the code in Checkpoint.FailureReason and
// FailureCause.Reason. There is one code per sentinel error of package
// checkpoint (its errors.go); the server finds it with errors.Is on the
// real error, so a client needs no more than the code to tell an expiry
// from a decline. The codes are stable: new ones may be added, none is
// renamed.
const (
	// ReasonExpired: not every subtask acknowledged within the timeout
	// (checkpoint.ErrExpired).
	ReasonExpired = "expired"
	// ReasonDeclined: a subtask declined the checkpoint
	// (checkpoint.ErrDeclined); FailureCause says which and why.
	ReasonDeclined = "declined"
	// ReasonMetadataWriteFailed: every subtask acknowledged, but writing
	// the metadata failed (checkpoint.ErrFinalize); FailureCause holds the
	// error.
	ReasonMetadataWriteFailed = "metadata_write_failed"
	// ReasonSubsumed: aborted because a newer checkpoint completed
	// (checkpoint.ErrSubsumed).
	ReasonSubsumed = "subsumed"
	// ReasonTasksStopped: aborted because the job's tasks stopped, on a
	// failover or a cancel (checkpoint.ErrTasksStopped).
	ReasonTasksStopped = "tasks_stopped"
	// ReasonShutdown: the checkpoint coordinator was shut down
	// (checkpoint.ErrShutdown).
	ReasonShutdown = "shutdown"
	// ReasonTooManyFailures: more checkpoints failed in a row than
	// tolerated (checkpoint.ErrTooManyFailures); the cause of a job's
	// failure rather than of one checkpoint's.
	ReasonTooManyFailures = "too_many_failures"
	// ReasonNotAllTasksRunning: not all of the job's tasks were running
	// (checkpoint.ErrNotAllTasksRunning).
	ReasonNotAllTasksRunning = "not_all_tasks_running"
	// ReasonTooManyConcurrent: a manual checkpoint was refused because too
	// many were in progress (checkpoint.ErrTooManyConcurrent).
	ReasonTooManyConcurrent = "too_many_concurrent"

	// The task side's reasons for a decline, in FailureCause.Reason.

	// ReasonTaskNotReady: the task was still starting or restoring
	// (checkpoint.ErrTaskNotReady).
	ReasonTaskNotReady = "task_not_ready"
	// ReasonTaskClosing: the task was closing or finished
	// (checkpoint.ErrTaskClosing).
	ReasonTaskClosing = "task_closing"
	// ReasonEndOfInput: the task's input had ended
	// (checkpoint.ErrEndOfInput).
	ReasonEndOfInput = "end_of_input"
	// ReasonBarrierSubsumed: a newer checkpoint's barrier arrived first
	// (checkpoint.ErrBarrierSubsumed).
	ReasonBarrierSubsumed = "barrier_subsumed"
	// ReasonCancellationBarrier: a cancellation barrier cancelled the
	// checkpoint (checkpoint.ErrCancellationBarrier).
	ReasonCancellationBarrier = "cancellation_barrier"
	// ReasonAsyncSnapshotFailed: the asynchronous part of the task's
	// snapshot failed (checkpoint.ErrAsyncSnapshot).
	ReasonAsyncSnapshotFailed = "async_snapshot_failed"

	// ReasonUnknown: a failure that is none of the above, or that was not
	// recorded. Only in Checkpoint.FailureReason; FailureCause.Reason is
	// left out instead.
	ReasonUnknown = "unknown"
)

// FailureCause is what lies under a failed checkpoint's FailureReason, for
// a decline (which subtask, and its reason) or a metadata write failure
// (the error). Weir's; Flink has only the message.
type FailureCause struct {
	// Reason is the cause's own code, when it has one: for a decline, the
	// task side's (ReasonTaskNotReady, ..., ReasonAsyncSnapshotFailed,
	// ReasonNotAllTasksRunning); absent when none applies.
	Reason string `json:"reason,omitempty"`
	// Message is the cause's text; absent when the subtask gave none.
	Message string `json:"message,omitempty"`
	// Vertex, Subtask and TaskName name the subtask that declined: its
	// vertex's ID, its 0-based index, and "Name (i/n)". Declines only.
	Vertex   string `json:"vertex,omitempty"`
	Subtask  *int   `json:"subtask,omitempty"`
	TaskName string `json:"task_name,omitempty"`
}
