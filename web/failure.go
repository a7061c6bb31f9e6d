package web

import (
	"errors"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/web/api"
)

// reasons pairs each code of the REST API with the checkpoint sentinel it
// stands for, in the order they are tried: the first sentinel an error
// wraps names it. A decline is "declined" whatever its subtask's cause (the
// cause gets its own code), and the tolerable-failures error is itself
// whatever the last failure it wraps was.
var reasons = []struct {
	code     string
	sentinel error
}{
	{api.ReasonTooManyFailures, checkpoint.ErrTooManyFailures},
	{api.ReasonDeclined, checkpoint.ErrDeclined},
	{api.ReasonExpired, checkpoint.ErrExpired},
	{api.ReasonMetadataWriteFailed, checkpoint.ErrFinalize},
	{api.ReasonSubsumed, checkpoint.ErrSubsumed},
	{api.ReasonTasksStopped, checkpoint.ErrTasksStopped},
	{api.ReasonShutdown, checkpoint.ErrShutdown},
	{api.ReasonNotAllTasksRunning, checkpoint.ErrNotAllTasksRunning},
	{api.ReasonTooManyConcurrent, checkpoint.ErrTooManyConcurrent},
	{api.ReasonTaskNotReady, checkpoint.ErrTaskNotReady},
	{api.ReasonTaskClosing, checkpoint.ErrTaskClosing},
	{api.ReasonEndOfInput, checkpoint.ErrEndOfInput},
	{api.ReasonBarrierSubsumed, checkpoint.ErrBarrierSubsumed},
	{api.ReasonCancellationBarrier, checkpoint.ErrCancellationBarrier},
	{api.ReasonAsyncSnapshotFailed, checkpoint.ErrAsyncSnapshot},
}

// FailureReason is the REST API's code for why a checkpoint failed (one of
// api's Reason constants), found with errors.Is on err; "" when err wraps
// none of the checkpoint package's sentinels, or is nil.
func FailureReason(err error) string {
	if err == nil {
		return ""
	}
	for _, r := range reasons {
		if errors.Is(err, r.sentinel) {
			return r.code
		}
	}
	return ""
}

// ReasonSentinel is the checkpoint sentinel error a code of FailureReason
// stands for, so that a client rebuilds an error that errors.Is recognises;
// nil for "", api.ReasonUnknown or a code it does not know.
func ReasonSentinel(code string) error {
	for _, r := range reasons {
		if r.code == code {
			return r.sentinel
		}
	}
	return nil
}

// failureReason is FailureReason for a failed checkpoint: api.ReasonUnknown
// when no code applies.
func failureReason(err error) string {
	if code := FailureReason(err); code != "" {
		return code
	}
	return api.ReasonUnknown
}

// failure sets the Weir failure fields of j, a failed checkpoint, from err.
func (c *checkpointView) failure(j *api.Checkpoint, err error) {
	j.FailureReason = failureReason(err)
	var de *checkpoint.DeclinedError
	var fe *checkpoint.FinalizeError
	switch {
	case errors.As(err, &de):
		sub := de.Task.Subtask
		fc := &api.FailureCause{Vertex: c.vid(de.Task.Vertex), Subtask: &sub, TaskName: de.TaskName}
		if de.Cause != nil {
			fc.Reason, fc.Message = FailureReason(de.Cause), de.Cause.Error()
		}
		j.FailureCause = fc
	case errors.As(err, &fe) && fe.Cause != nil:
		j.FailureCause = &api.FailureCause{Reason: FailureReason(fe.Cause), Message: fe.Cause.Error()}
	}
}
