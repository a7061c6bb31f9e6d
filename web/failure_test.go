package web_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/web"
	"github.com/weirstream/weir/web/api"
)

// TestFailureReason gives each checkpoint sentinel its code, as the typed
// error the coordinator reports and as a plain wrapped one, and maps each
// code back to its sentinel.
func TestFailureReason(t *testing.T) {
	key := checkpoint.SubtaskKey{Vertex: 1}
	for _, tc := range []struct {
		sentinel error
		code     string
		typed    error // the coordinator's error wrapping sentinel, if any
	}{
		{checkpoint.ErrExpired, api.ReasonExpired, &checkpoint.ExpiredError{Checkpoint: 3, Timeout: 1}},
		{checkpoint.ErrDeclined, api.ReasonDeclined, &checkpoint.DeclinedError{Checkpoint: 3, Task: key}},
		{checkpoint.ErrFinalize, api.ReasonMetadataWriteFailed, &checkpoint.FinalizeError{Checkpoint: 3, Cause: errors.New("disk full")}},
		{checkpoint.ErrSubsumed, api.ReasonSubsumed, &checkpoint.AbortedError{Checkpoint: 3, Reason: checkpoint.ErrSubsumed, By: 4}},
		{checkpoint.ErrTasksStopped, api.ReasonTasksStopped, &checkpoint.AbortedError{Checkpoint: 3, Reason: checkpoint.ErrTasksStopped, Cause: errors.New("job failed")}},
		{checkpoint.ErrShutdown, api.ReasonShutdown, &checkpoint.AbortedError{Checkpoint: 3, Reason: checkpoint.ErrShutdown}},
		{checkpoint.ErrTooManyFailures, api.ReasonTooManyFailures, &checkpoint.TooManyFailuresError{Consecutive: 2, Last: &checkpoint.ExpiredError{}}},
		{checkpoint.ErrNotAllTasksRunning, api.ReasonNotAllTasksRunning, &checkpoint.TriggerError{Reason: checkpoint.ErrNotAllTasksRunning}},
		{checkpoint.ErrTooManyConcurrent, api.ReasonTooManyConcurrent, &checkpoint.TriggerError{Reason: checkpoint.ErrTooManyConcurrent}},
		{checkpoint.ErrTaskNotReady, api.ReasonTaskNotReady, nil},
		{checkpoint.ErrTaskClosing, api.ReasonTaskClosing, nil},
		{checkpoint.ErrEndOfInput, api.ReasonEndOfInput, nil},
		{checkpoint.ErrBarrierSubsumed, api.ReasonBarrierSubsumed, nil},
		{checkpoint.ErrCancellationBarrier, api.ReasonCancellationBarrier, nil},
		{checkpoint.ErrAsyncSnapshot, api.ReasonAsyncSnapshotFailed, nil},
	} {
		errs := []error{tc.sentinel, fmt.Errorf("checkpoint 3: %w", tc.sentinel)}
		if tc.typed != nil {
			errs = append(errs, tc.typed)
		}
		for _, err := range errs {
			if got := web.FailureReason(err); got != tc.code {
				t.Errorf("FailureReason(%q) = %q, want %q", err, got, tc.code)
			}
		}
		if got := web.ReasonSentinel(tc.code); got != tc.sentinel {
			t.Errorf("ReasonSentinel(%q) = %v, want %v", tc.code, got, tc.sentinel)
		}
	}

	// A decline is a decline whatever its subtask's cause.
	de := &checkpoint.DeclinedError{Task: key, Cause: fmt.Errorf("snapshot: %w", checkpoint.ErrAsyncSnapshot)}
	if got := web.FailureReason(de); got != api.ReasonDeclined {
		t.Errorf("decline with a task-side cause: %q, want %q", got, api.ReasonDeclined)
	}
	for _, err := range []error{nil, errors.New("checkpoint expired")} { // words are not a code
		if got := web.FailureReason(err); got != "" {
			t.Errorf("FailureReason(%v) = %q, want none", err, got)
		}
	}
	for _, code := range []string{"", api.ReasonUnknown, "nonsense"} {
		if got := web.ReasonSentinel(code); got != nil {
			t.Errorf("ReasonSentinel(%q) = %v, want nil", code, got)
		}
	}
}

// TestCheckpointFailureCause reads the codes and the decline's subtask
// where a failed checkpoint is reported: its object and the diagnoses.
func TestCheckpointFailureCause(t *testing.T) {
	f := fixture()
	declined := f.stats.History[0]
	declined.ID = 6
	declined.Failure = &checkpoint.DeclinedError{Checkpoint: 6, Task: checkpoint.SubtaskKey{Vertex: 1}, TaskName: "Sink (1/1)",
		Cause: fmt.Errorf("writing the snapshot: %w: disk full", checkpoint.ErrAsyncSnapshot)}
	final := f.stats.History[0]
	final.ID = 7
	final.Failure = &checkpoint.FinalizeError{Checkpoint: 7, Cause: errors.New("disk full")}
	f.stats.History = append([]checkpoint.CheckpointStats{final, declined}, f.stats.History...)
	f.stats.LatestFailed = &final
	c := fakeServer(t, f)
	base := "/jobs/" + f.id + "/checkpoints"

	d := c.get(base + "/details/6")
	if d["failure_reason"] != api.ReasonDeclined {
		t.Fatalf("declined: failure_reason %v", d["failure_reason"])
	}
	fc := obj(t, d["failure_cause"])
	if fc["reason"] != api.ReasonAsyncSnapshotFailed || fc["vertex"] != web.VertexID("k") || num(t, fc["subtask"]) != 0 ||
		fc["task_name"] != "Sink (1/1)" || fc["message"] != "writing the snapshot: asynchronous part of the snapshot failed: disk full" {
		t.Fatalf("declined: failure_cause %v", fc)
	}

	latest := obj(t, obj(t, c.get(base)["latest"])["failed"])
	if latest["failure_reason"] != api.ReasonMetadataWriteFailed || obj(t, latest["failure_cause"])["message"] != "disk full" {
		t.Fatalf("metadata: %v", latest)
	}
	if _, ok := obj(t, latest["failure_cause"])["reason"]; ok {
		t.Fatalf("metadata: an I/O error has no code: %v", latest["failure_cause"])
	}

	// The fixture's expired checkpoint failed with a plain error: no code.
	d = c.get(base + "/details/5")
	if d["failure_reason"] != api.ReasonUnknown || d["failure_cause"] != nil {
		t.Fatalf("plain error: %v, %v", d["failure_reason"], d["failure_cause"])
	}
	if d := c.get(base + "/details/4"); d["failure_reason"] != nil {
		t.Fatalf("completed: failure_reason %v", d["failure_reason"])
	}

	want := map[float64]any{7: api.ReasonMetadataWriteFailed, 6: api.ReasonDeclined, 5: api.ReasonUnknown}
	seen := 0
	for _, e := range arr(t, c.get(base + "/diagnosis")["entries"]) {
		e := obj(t, e)
		id := num(t, e["id"])
		if _, failed := want[id]; failed {
			seen++
		}
		if e["failure_reason"] != want[id] {
			t.Errorf("diagnosis of %v: failure_reason %v, want %v", id, e["failure_reason"], want[id])
		}
	}
	if seen != len(want) {
		t.Errorf("the diagnoses hold %d of the %d failed checkpoints", seen, len(want))
	}
}
