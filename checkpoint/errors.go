package checkpoint

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Why a checkpoint failed, as reported by the coordinator. Every failure the
// coordinator reports is one of the typed errors below; each wraps exactly
// one of these sentinels, so errors.Is(err, ErrExpired) and the like work.
var (
	// ErrExpired: the checkpoint was not acknowledged by every subtask within
	// the timeout (Flink: CHECKPOINT_EXPIRED). Counts towards the tolerable
	// failures for checkpoints; not for savepoints.
	ErrExpired = errors.New("checkpoint expired")

	// ErrDeclined: a subtask declined the checkpoint (Flink:
	// CHECKPOINT_DECLINED). Counts towards the tolerable failures unless the
	// subtask's cause wraps one of the task-side sentinels that do not count.
	ErrDeclined = errors.New("checkpoint declined")

	// ErrFinalize: every subtask acknowledged, but writing the metadata
	// failed (an I/O error on the job manager). Counts for checkpoints, as
	// Flink counts IOExceptions on the job manager; not for savepoints.
	ErrFinalize = errors.New("checkpoint metadata could not be written")

	// ErrSubsumed: a pending checkpoint was aborted because a newer one
	// completed (Flink: CHECKPOINT_SUBSUMED). Does not count.
	ErrSubsumed = errors.New("checkpoint subsumed")

	// ErrTasksStopped: pending checkpoints were aborted because the job's
	// tasks stopped (failover, cancel). Does not count (Flink: JOB_FAILURE).
	ErrTasksStopped = errors.New("tasks stopped")

	// ErrShutdown: the coordinator was shut down. Does not count.
	ErrShutdown = errors.New("checkpoint coordinator shut down")

	// ErrTooManyFailures: more consecutive checkpoints failed, for reasons
	// that count, than execution.checkpointing.tolerable-failed-checkpoints
	// allows. It is the cause of a FailJobAction.
	ErrTooManyFailures = errors.New("exceeded checkpoint tolerable failure threshold")
)

// Why a trigger was refused (TriggerNow returns a *TriggerError wrapping one).
var (
	// ErrNotAllTasksRunning: the job's tasks are not all running (Flink:
	// NOT_ALL_REQUIRED_TASKS_RUNNING). A driver that cannot deliver a
	// trigger to a source also declines with a cause wrapping it. Does not
	// count.
	ErrNotAllTasksRunning = errors.New("not all tasks are running")

	// ErrTooManyConcurrent: a manual checkpoint was requested while
	// MaxConcurrent checkpoints are in progress. Savepoints are never
	// refused for this.
	ErrTooManyConcurrent = errors.New("too many concurrent checkpoints")
)

// Task-side causes of a Decline. A subtask wraps one in Decline.Cause when it
// applies; the first five do not count towards the tolerable failures (they
// mirror Flink's CHECKPOINT_DECLINED_* reasons), ErrAsyncSnapshot counts.
var (
	ErrTaskNotReady        = errors.New("task not ready (still starting or restoring)")
	ErrTaskClosing         = errors.New("task is closing or finished")
	ErrEndOfInput          = errors.New("input ended")
	ErrBarrierSubsumed     = errors.New("a newer barrier arrived first")
	ErrCancellationBarrier = errors.New("checkpoint cancelled by a cancellation barrier")
	ErrAsyncSnapshot       = errors.New("asynchronous part of the snapshot failed")
)

// CountsAsFailure is the one place that decides whether a failed checkpoint of
// the given kind counts towards the tolerable consecutive failures, following
// Flink's CheckpointFailureManager:
//
//   - expiry and metadata write failures count for checkpoints; savepoint
//     failures on the job manager never count (failover would not help);
//   - declines count for both kinds, unless the cause wraps ErrTaskNotReady,
//     ErrTaskClosing, ErrEndOfInput, ErrBarrierSubsumed,
//     ErrCancellationBarrier or ErrNotAllTasksRunning;
//   - subsumption, stopped tasks and shutdown never count.
func CountsAsFailure(kind Kind, err error) bool {
	switch {
	case errors.Is(err, ErrDeclined):
		for _, ignored := range []error{ErrTaskNotReady, ErrTaskClosing, ErrEndOfInput,
			ErrBarrierSubsumed, ErrCancellationBarrier, ErrNotAllTasksRunning} {
			if errors.Is(err, ignored) {
				return false
			}
		}
		return true
	case errors.Is(err, ErrExpired), errors.Is(err, ErrFinalize):
		return kind == KindCheckpoint
	}
	return false
}

// ExpiredError: checkpoint Checkpoint was not acknowledged by Missing within
// Timeout.
type ExpiredError struct {
	Checkpoint ID
	Kind       Kind
	Timeout    time.Duration
	Total      int          // subtasks that had to acknowledge
	Missing    []SubtaskKey // those that had not, ordered
	Names      []string     // human names of Missing, same order
}

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("%s %d expired after %s before completing: %d of %d subtasks had not acknowledged (%s)",
		e.Kind, e.Checkpoint, e.Timeout, len(e.Missing), e.Total, nameList(e.Names, 8))
}

func (e *ExpiredError) Unwrap() error { return ErrExpired }

// DeclinedError: subtask Task declined checkpoint Checkpoint because of Cause.
type DeclinedError struct {
	Checkpoint ID
	Kind       Kind
	Task       SubtaskKey
	TaskName   string
	Cause      error
}

func (e *DeclinedError) Error() string {
	cause := "no reason given"
	if e.Cause != nil {
		cause = e.Cause.Error()
	}
	return fmt.Sprintf("%s %d declined by %s: %s", e.Kind, e.Checkpoint, e.TaskName, cause)
}

func (e *DeclinedError) Unwrap() []error {
	if e.Cause == nil {
		return []error{ErrDeclined}
	}
	return []error{ErrDeclined, e.Cause}
}

// FinalizeError: every subtask acknowledged checkpoint Checkpoint but its
// metadata could not be written.
type FinalizeError struct {
	Checkpoint ID
	Kind       Kind
	Cause      error
}

func (e *FinalizeError) Error() string {
	return fmt.Sprintf("%s %d could not be completed: writing its metadata failed: %v", e.Kind, e.Checkpoint, e.Cause)
}

func (e *FinalizeError) Unwrap() []error { return []error{ErrFinalize, e.Cause} }

// AbortedError: checkpoint Checkpoint was aborted for Reason (ErrSubsumed,
// ErrTasksStopped or ErrShutdown). By is the completed checkpoint that
// subsumed it; Cause is what the driver gave, if anything.
type AbortedError struct {
	Checkpoint ID
	Kind       Kind
	Reason     error
	By         ID
	Cause      error
}

func (e *AbortedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d aborted: ", e.Kind, e.Checkpoint)
	switch {
	case errors.Is(e.Reason, ErrSubsumed):
		fmt.Fprintf(&b, "subsumed by completed checkpoint %d", e.By)
	default:
		b.WriteString(e.Reason.Error())
	}
	if e.Cause != nil {
		fmt.Fprintf(&b, ": %v", e.Cause)
	}
	return b.String()
}

func (e *AbortedError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Cause}
}

// TooManyFailuresError is the cause of a FailJobAction: Consecutive failed
// checkpoints in a row (counting only reasons that count) exceeded Tolerable.
// Last is the failure that tipped it over.
type TooManyFailuresError struct {
	Consecutive int
	Tolerable   int
	Last        error
}

func (e *TooManyFailuresError) Error() string {
	times := "times"
	if e.Consecutive == 1 {
		times = "time"
	}
	return fmt.Sprintf("checkpoints failed %d %s in a row, more than the %d tolerated (execution.checkpointing.tolerable-failed-checkpoints); the last: %v",
		e.Consecutive, times, e.Tolerable, e.Last)
}

func (e *TooManyFailuresError) Unwrap() []error { return []error{ErrTooManyFailures, e.Last} }

// TriggerError: TriggerNow refused to start a checkpoint or savepoint. Reason
// is ErrNotAllTasksRunning, ErrTooManyConcurrent or ErrShutdown.
type TriggerError struct {
	Kind   Kind
	Reason error
	Detail string // optional, for people
}

func (e *TriggerError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("cannot trigger a %s: %v (%s)", e.Kind, e.Reason, e.Detail)
	}
	return fmt.Sprintf("cannot trigger a %s: %v", e.Kind, e.Reason)
}

func (e *TriggerError) Unwrap() error { return e.Reason }

// nameList joins at most max names, then says how many more there are.
func nameList(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}
