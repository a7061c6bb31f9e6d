package checkpoint

import "time"

// Action is something the coordinator asks its driver to do. The driver
// executes the actions a call returned in order, and feeds results back
// (acknowledgements through Receive, metadata writes through Finalized).
// The concrete types are TriggerAction, FinalizeAction, NotifyCompleteAction,
// AbortAction, DiscardAction and FailJobAction.
type Action interface{ isAction() }

// TriggerAction: send a trigger for checkpoint Checkpoint to every source
// subtask in Sources; they snapshot and emit barriers. If a trigger cannot be
// delivered, feed back a Decline from that source whose cause wraps
// ErrNotAllTasksRunning.
type TriggerAction struct {
	Checkpoint ID
	Timestamp  time.Time
	Kind       Kind
	Mode       Mode
	Sources    []SubtaskKey
}

// FinalizeAction: every subtask acknowledged. Write Checkpoint's metadata to
// checkpoint storage (the driver may add properties or set ExternalPath
// first), then call Finalized with the result. Until then the checkpoint
// stays in progress and does not expire. Pending is for reading only; the
// coordinator no longer changes it.
type FinalizeAction struct {
	Pending    *PendingCheckpoint
	Checkpoint *CompletedCheckpoint
}

// NotifyCompleteAction: tell every subtask that checkpoint Checkpoint is
// complete (two-phase-commit sinks commit now). Sent for checkpoints only,
// after their metadata is durable. Delivery is best effort: a subtask that is
// restarting misses it and commits what the checkpoint holds when it is
// restored from it.
type NotifyCompleteAction struct {
	Checkpoint ID
}

// AbortAction: tell every subtask to drop in-progress work for checkpoint
// Checkpoint. Reason is one of the coordinator's typed errors.
type AbortAction struct {
	Checkpoint ID
	Kind       Kind
	Reason     error
}

// DiscardAction: delete the files of checkpoint Checkpoint. Completed tells a
// subsumed completed checkpoint (delete its directory, metadata first) from
// an aborted or expired one, or a late acknowledgement of one (delete States'
// files, and the checkpoint's directory if the driver keeps one per
// checkpoint). States are the operator states known to the coordinator; it
// may be empty when no subtask had acknowledged.
type DiscardAction struct {
	Checkpoint ID
	States     []OperatorSubtaskState
	Completed  bool
}

// FailJobAction: more consecutive checkpoints failed than tolerated; fail the
// job, then call TasksStopped (which aborts what is still pending), restart
// as the restart strategy says, and call TasksRunning. From this action on
// the coordinator triggers nothing until TasksRunning. Cause is a
// *TooManyFailuresError.
type FailJobAction struct {
	Cause error
}

func (TriggerAction) isAction()        {}
func (FinalizeAction) isAction()       {}
func (NotifyCompleteAction) isAction() {}
func (AbortAction) isAction()          {}
func (DiscardAction) isAction()        {}
func (FailJobAction) isAction()        {}
