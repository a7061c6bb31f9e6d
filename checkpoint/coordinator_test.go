package checkpoint

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestKeyGroupRangeFor(t *testing.T) {
	for _, mp := range []int{1, 7, 128, 32768} {
		for p := 1; p <= min(mp, 40); p++ {
			next := 0
			for s := range p {
				r := KeyGroupRangeFor(mp, p, s)
				if r.Start != next || r.Len() == 0 {
					t.Fatalf("max %d, parallelism %d, subtask %d: %v does not continue at %d", mp, p, s, r, next)
				}
				next = r.End
			}
			if next != mp {
				t.Fatalf("max %d, parallelism %d: ranges end at %d", mp, p, next)
			}
		}
	}
	r := KeyGroupRange{Start: 4, End: 8}
	if !r.Contains(4) || r.Contains(8) || r.Len() != 4 {
		t.Fatalf("%v: Contains/Len wrong", r)
	}
	if got := r.Intersect(KeyGroupRange{Start: 6, End: 20}); got != (KeyGroupRange{6, 8}) {
		t.Fatalf("intersect: %v", got)
	}
	if got := r.Intersect(KeyGroupRange{Start: 10, End: 20}); got.Len() != 0 {
		t.Fatalf("disjoint intersect: %v", got)
	}
}

func TestCountsAsFailure(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		err  error
		want bool
	}{
		{KindCheckpoint, &ExpiredError{}, true},
		{KindSavepoint, &ExpiredError{}, false},
		{KindCheckpoint, &FinalizeError{Cause: errors.New("io")}, true},
		{KindSavepoint, &FinalizeError{Cause: errors.New("io")}, false},
		{KindCheckpoint, &DeclinedError{Cause: errors.New("boom")}, true},
		{KindSavepoint, &DeclinedError{Cause: errors.New("boom")}, true},
		{KindCheckpoint, &DeclinedError{}, true},
		{KindCheckpoint, &DeclinedError{Cause: fmt.Errorf("x: %w", ErrAsyncSnapshot)}, true},
		{KindCheckpoint, &DeclinedError{Cause: ErrTaskNotReady}, false},
		{KindCheckpoint, &DeclinedError{Cause: fmt.Errorf("x: %w", ErrTaskClosing)}, false},
		{KindCheckpoint, &DeclinedError{Cause: ErrEndOfInput}, false},
		{KindCheckpoint, &DeclinedError{Cause: ErrBarrierSubsumed}, false},
		{KindCheckpoint, &DeclinedError{Cause: ErrCancellationBarrier}, false},
		{KindCheckpoint, &DeclinedError{Cause: ErrNotAllTasksRunning}, false},
		{KindCheckpoint, &AbortedError{Reason: ErrSubsumed}, false},
		{KindCheckpoint, &AbortedError{Reason: ErrTasksStopped}, false},
		{KindCheckpoint, &AbortedError{Reason: ErrShutdown}, false},
		{KindCheckpoint, errors.New("other"), false},
	} {
		if got := CountsAsFailure(tc.kind, tc.err); got != tc.want {
			t.Errorf("CountsAsFailure(%s, %v) = %v, want %v", tc.kind, tc.err, got, tc.want)
		}
	}
}

func TestErrorsWrapAndRead(t *testing.T) {
	cause := errors.New("no space left on device")
	d := &DeclinedError{Checkpoint: 7, Kind: KindCheckpoint, Task: SubtaskKey{2, 1}, TaskName: "Sink (2/2)", Cause: cause}
	if !errors.Is(d, ErrDeclined) || !errors.Is(d, cause) {
		t.Fatal("DeclinedError must wrap ErrDeclined and its cause")
	}
	if got, want := d.Error(), "checkpoint 7 declined by Sink (2/2): no space left on device"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	names := []string{"Source (1/2)", "Source (2/2)", "Map (1/3)", "Map (2/3)", "Map (3/3)", "A", "B", "C", "D", "E"}
	e := &ExpiredError{Checkpoint: 7, Kind: KindCheckpoint, Timeout: 10 * time.Minute, Total: 12, Missing: make([]SubtaskKey, 10), Names: names}
	want := "checkpoint 7 expired after 10m0s before completing: 10 of 12 subtasks had not acknowledged (Source (1/2), Source (2/2), Map (1/3), Map (2/3), Map (3/3), A, B, C and 2 more)"
	if e.Error() != want {
		t.Fatalf("got  %q\nwant %q", e.Error(), want)
	}
	tm := &TooManyFailuresError{Consecutive: 3, Tolerable: 2, Last: e}
	if !errors.Is(tm, ErrTooManyFailures) || !errors.Is(tm, ErrExpired) {
		t.Fatal("TooManyFailuresError must wrap ErrTooManyFailures and the last failure")
	}
	te := &TriggerError{Kind: KindSavepoint, Reason: ErrNotAllTasksRunning}
	if !errors.Is(te, ErrNotAllTasksRunning) || te.Error() != "cannot trigger a savepoint: not all tasks are running" {
		t.Fatalf("TriggerError: %v", te)
	}
}

func TestValidate(t *testing.T) {
	bad := CoordinatorConfig{Interval: -time.Second, MaxConcurrent: -1, TolerableFailures: -2, NumRetained: -1, MaxParallelism: map[int]int{0: 0}}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad configuration")
	}
	for _, option := range []string{"execution.checkpointing.interval", "max-concurrent-checkpoints", "tolerable-failed-checkpoints", "num-retained", "max-parallelism"} {
		if !strings.Contains(err.Error(), option) {
			t.Errorf("error does not name %s: %v", option, err)
		}
	}
	var good CoordinatorConfig
	if err := good.Validate(); err != nil {
		t.Fatalf("zero configuration refused: %v", err)
	}
	n := good.normalized()
	if n.Timeout != DefaultTimeout || n.MaxConcurrent != 1 || n.NumRetained != 1 || n.TolerableFailures != 0 {
		t.Fatalf("defaults: %+v", n)
	}
}

func TestReceivePanicsOnForeignMessage(t *testing.T) {
	c := NewCoordinator(CoordinatorConfig{}, []SubtaskKey{{0, 0}}, []SubtaskKey{{0, 0}}, nil, t0)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "string") {
			t.Fatalf("recover() = %v", r)
		}
	}()
	c.Receive("hello", t0)
}

// TestFinalizeCarriesOperators checks the metadata the coordinator builds for
// the driver: operators by UID, parallelism per vertex, max parallelism from
// the configuration, subtasks ordered, sizes filled in from the files.
func TestFinalizeCarriesOperators(t *testing.T) {
	tasks := []SubtaskKey{{1, 0}, {0, 1}, {0, 0}}
	c := NewCoordinator(CoordinatorConfig{Job: "wordcount", MaxParallelism: map[int]int{0: 64},
		Properties: map[string]string{PropStateBackend: "heap"}}, tasks, tasks[1:], nil, t0)
	c.TasksRunning(t0)
	acts, err := c.TriggerNow(t0, KindCheckpoint)
	if err != nil || len(acts) != 1 {
		t.Fatalf("trigger: %v %v", acts, err)
	}
	var fin []Action
	for _, k := range []SubtaskKey{{0, 1}, {1, 0}, {0, 0}} {
		a := Ack{Checkpoint: 1, Task: k, States: []OperatorSubtaskState{
			{OperatorUID: fmt.Sprintf("v%d-a", k.Vertex), Subtask: k.Subtask, Operator: []OperatorStateHandle{{File: FileRef{Path: "x", Size: 10}}}},
			{OperatorUID: fmt.Sprintf("v%d-b", k.Vertex), Subtask: k.Subtask, Keyed: []KeyedStateHandle{{File: FileRef{Inline: []byte("abc"), Size: 3}}}},
		}}
		fin = c.Receive(a, t0.Add(time.Second))
	}
	if len(fin) != 1 {
		t.Fatalf("want one FinalizeAction, got %v", fin)
	}
	cp := fin[0].(FinalizeAction).Checkpoint
	if cp.Job != "wordcount" || cp.Properties[PropStateBackend] != "heap" || cp.Properties[PropMode] != "EXACTLY_ONCE" {
		t.Fatalf("job/properties: %q %v", cp.Job, cp.Properties)
	}
	if len(cp.Operators) != 4 || cp.StateSize != 39 || cp.CheckpointedSize != 39 || len(cp.Tasks) != 3 {
		t.Fatalf("operators %d, state %d, checkpointed %d, tasks %d", len(cp.Operators), cp.StateSize, cp.CheckpointedSize, len(cp.Tasks))
	}
	op := cp.Operators["v0-a"]
	if op.Parallelism != 2 || op.MaxParallelism != 64 || op.Subtasks[0].Subtask != 0 || op.Subtasks[1].Subtask != 1 {
		t.Fatalf("v0-a: %+v", op)
	}
	if op := cp.Operators["v1-b"]; op.Parallelism != 1 || op.MaxParallelism != DefaultMaxParallelism {
		t.Fatalf("v1-b: %+v", op)
	}
	if cp.Tasks[0].Task != (SubtaskKey{0, 0}) || cp.Duration != time.Second {
		t.Fatalf("tasks %v, duration %s", cp.Tasks, cp.Duration)
	}
}
