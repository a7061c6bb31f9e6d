package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/internal/testutil"
)

// ackingAttempt is an attempt of one source subtask that acknowledges
// every checkpoint at once.
type ackingAttempt struct {
	acks      chan any
	done      chan struct{}
	never     chan struct{} // its input never ends
	mu        sync.Mutex
	triggered []int64
}

var task = checkpoint.SubtaskKey{}

func newAckingAttempt() *ackingAttempt {
	return &ackingAttempt{acks: make(chan any, 1000), done: make(chan struct{}), never: make(chan struct{})}
}

func (a *ackingAttempt) Run() error                   { <-a.done; return nil }
func (a *ackingAttempt) Done() <-chan struct{}        { return a.done }
func (a *ackingAttempt) Cause() error                 { return context.Canceled }
func (a *ackingAttempt) Acks() <-chan any             { return a.acks }
func (a *ackingAttempt) InputsEnded() <-chan struct{} { return a.never }
func (a *ackingAttempt) TriggerCheckpoint(id int64, at time.Time) {
	a.mu.Lock()
	a.triggered = append(a.triggered, id)
	a.mu.Unlock()
	a.acks <- &checkpoint.Ack{Checkpoint: checkpoint.ID(id), Task: task, At: at}
}
func (a *ackingAttempt) NotifyCheckpointComplete(int64) {}
func (a *ackingAttempt) AbortCheckpoint(int64)          {}
func (a *ackingAttempt) CommitFinal()                   {}
func (a *ackingAttempt) Fail(error)                     {}
func (a *ackingAttempt) Status() []graph.VertexStatus   { return nil }

func (a *ackingAttempt) triggers() []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]int64(nil), a.triggered...)
}

// stuckStore is checkpoint storage whose metadata write of one checkpoint,
// and whose discards, hang until released.
type stuckStore struct {
	stuckWrite    checkpoint.ID
	releaseWrite  chan struct{}
	releaseDelete chan struct{}
	mu            sync.Mutex
	written       []checkpoint.ID
	discarded     []int64
}

func (s *stuckStore) WriteMetadata(_ context.Context, cp *checkpoint.CompletedCheckpoint) error {
	if cp.ID == s.stuckWrite {
		<-s.releaseWrite
	}
	s.mu.Lock()
	s.written = append(s.written, cp.ID)
	s.mu.Unlock()
	return nil
}

func (s *stuckStore) Discard(_ context.Context, id int64) error {
	<-s.releaseDelete
	s.mu.Lock()
	s.discarded = append(s.discarded, id)
	s.mu.Unlock()
	return nil
}

func (s *stuckStore) writes() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.written) }

// TestDriverKeepsTimingWhileStorageHangs (issue 20 item 2): the driver
// does no storage I/O on its loop. While checkpoint 1's metadata write
// hangs, checkpoint 2 is still triggered on time and its acknowledgement
// taken; while discards hang, later checkpoints still complete. When the
// attempt ends, the writes in flight report back before the driver
// returns, so the coordinator's newest checkpoint is the newest written.
func TestDriverKeepsTimingWhileStorageHangs(t *testing.T) {
	testutil.CheckGoroutines(t)
	now := time.Now()
	c := checkpoint.NewCoordinator(checkpoint.CoordinatorConfig{
		Job: "slow", Interval: 10 * time.Millisecond, Timeout: time.Minute, MaxConcurrent: 2, NumRetained: 1,
	}, []checkpoint.SubtaskKey{task}, []checkpoint.SubtaskKey{task}, nil, now)
	att := newAckingAttempt()
	st := &stuckStore{stuckWrite: 1, releaseWrite: make(chan struct{}), releaseDelete: make(chan struct{})}
	d := newDriver(c, att, st, "slow", slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.run(ctx)
	}()

	// Checkpoint 1 is acknowledged and its write hangs; checkpoint 2 is
	// triggered and acknowledged all the same (max-concurrent 2).
	testutil.Await(t, 10*time.Second, func() bool {
		return len(att.triggers()) >= 2 && len(att.acks) == 0
	}, func() string {
		return fmt.Sprintf("while checkpoint 1's metadata write hangs, triggered %v (want checkpoint 2 too), %d acknowledgements not taken", att.triggers(), len(att.acks))
	})
	if n := st.writes(); n != 0 {
		t.Fatalf("%d metadata writes done while the first hangs, want 0 (they are written in order)", n)
	}

	// Writes go on; discards (num-retained 1) hang: checkpoints keep
	// completing.
	close(st.releaseWrite)
	testutil.Await(t, 10*time.Second, func() bool { return st.writes() >= 5 }, func() string {
		return fmt.Sprintf("while discards hang, %d checkpoints written, want 5 (triggered %v)", st.writes(), att.triggers())
	})

	close(st.releaseDelete)
	cancel()
	<-done
	st.mu.Lock()
	newest := st.written[len(st.written)-1]
	for i, id := range st.written {
		if i > 0 && id <= st.written[i-1] {
			t.Errorf("metadata written out of order: %v", st.written)
		}
	}
	st.mu.Unlock()
	if l := c.Latest(); l == nil || l.ID != newest {
		t.Errorf("after the driver returned, the coordinator's latest is %v, want checkpoint %d (the newest written)", l, newest)
	}
}

// TestDriverTriggersOnRequest: a manual trigger (JobInfo.TriggerCheckpoint,
// REST's POST /jobs/:jobid/checkpoints) reaches the driver's loop, which
// triggers a checkpoint at once although the periodic one is an hour away;
// the request's result follows it to COMPLETED with its ID. A trigger the
// coordinator refuses (one in progress, max-concurrent 1) is COMPLETED at
// once with the refusal; once the driver stopped, a request is refused
// with ErrNotRunning instead of hanging.
func TestDriverTriggersOnRequest(t *testing.T) {
	testutil.CheckGoroutines(t)
	now := time.Now()
	c := checkpoint.NewCoordinator(checkpoint.CoordinatorConfig{
		Job: "manual", Interval: time.Hour, Timeout: time.Minute, MaxConcurrent: 1, NumRetained: 1,
	}, []checkpoint.SubtaskKey{task}, []checkpoint.SubtaskKey{task}, nil, now)
	att := newAckingAttempt()
	st := &stuckStore{stuckWrite: 2, releaseWrite: make(chan struct{}), releaseDelete: make(chan struct{})}
	close(st.releaseDelete)
	info := NewJobInfo()
	ctx, cancel := context.WithCancel(context.Background())
	info.started("manual", CheckpointConfig{Enabled: true, Interval: time.Hour}, func(error) { cancel() })
	d := newDriver(c, att, st, "manual", slog.New(slog.DiscardHandler))
	d.onStats = info.checkpointStats
	info.driving(d.handle())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.run(ctx)
	}()

	result := func(id string) TriggerResult {
		r, ok := info.TriggerResult(id)
		if !ok {
			t.Fatalf("no result for trigger request %s", id)
		}
		return r
	}
	first, err := info.TriggerCheckpoint(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Await(t, 10*time.Second, func() bool { return result(first).Status == TriggerCompleted }, func() string {
		return fmt.Sprintf("trigger request %s: %+v, want COMPLETED", first, result(first))
	})
	if r := result(first); r.Err != nil || r.Checkpoint != 1 || st.writes() != 1 {
		t.Fatalf("first manual trigger: %+v with %d metadata writes, want checkpoint 1 completed and written", r, st.writes())
	}
	if again, err := info.TriggerCheckpoint(ctx, first); err != nil || again != first || len(att.triggers()) != 1 {
		t.Fatalf("a known request ID again: %q, %v, %d triggers; want the same ID and no new trigger", again, err, len(att.triggers()))
	}

	// Checkpoint 2's metadata write hangs: it stays in progress, and a
	// third trigger is refused (max-concurrent 1).
	second, err := info.TriggerCheckpoint(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	third, err := info.TriggerCheckpoint(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := result(second); r.Status != TriggerInProgress || r.Checkpoint != 2 {
		t.Errorf("second trigger while its write hangs: %+v, want checkpoint 2 IN_PROGRESS", r)
	}
	if r := result(third); r.Status != TriggerCompleted || !errors.Is(r.Err, checkpoint.ErrTooManyConcurrent) {
		t.Errorf("third trigger while one is in progress: %+v, want COMPLETED with ErrTooManyConcurrent", r)
	}
	close(st.releaseWrite)
	testutil.Await(t, 10*time.Second, func() bool { return result(second).Status == TriggerCompleted }, func() string {
		return fmt.Sprintf("trigger request %s: %+v, want COMPLETED", second, result(second))
	})

	cancel()
	<-done
	if _, err := info.TriggerCheckpoint(context.Background(), ""); !errors.Is(err, ErrNotRunning) {
		t.Errorf("trigger after the driver stopped: %v, want ErrNotRunning", err)
	}
	info.driving(nil)
	if _, err := info.TriggerCheckpoint(context.Background(), ""); !errors.Is(err, ErrNotRunning) {
		t.Errorf("trigger with no driver: %v, want ErrNotRunning", err)
	}
}
