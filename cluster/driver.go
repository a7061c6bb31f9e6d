package cluster

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/weirstream/weir/checkpoint"
)

// metadataStore is what the driver does to checkpoint storage: publish a
// completed checkpoint's metadata, and delete a checkpoint's files (with
// the shared files no checkpoint references any longer).
type metadataStore interface {
	WriteMetadata(ctx context.Context, cp *checkpoint.CompletedCheckpoint) error
	Discard(ctx context.Context, id int64) error
}

// driver steps one attempt's checkpoint coordinator on a goroutine of its
// own (run): on the coordinator's deadlines, on every acknowledgement and
// decline, on the results of metadata writes, and when the inputs end; and
// carries out its actions. It does no I/O on its loop: metadata writes and
// discards run in order on two workers it owns (one each, so that a slow
// delete never holds back a checkpoint's completion), and a write's result
// comes back to the loop as a message. Its loop is the coordinator's one
// owner for the attempt.
type driver struct {
	c       *checkpoint.Coordinator
	att     Attempt
	store   metadataStore
	job     string
	logger  *slog.Logger
	onStats func(checkpoint.Stats) // after every change; nil for none
	// beforeFinalCommit, when set, runs once the final checkpoint is
	// complete, before sinks commit (a test's hook for a crash then).
	beforeFinalCommit func()

	writes, deletes *ioWorker
	written         chan metadataWritten
	// requests carries manual trigger requests (JobInfo.TriggerCheckpoint)
	// into the loop; closing is closed once the loop takes no more.
	requests    chan triggerRequest
	closing     chan struct{}
	outstanding int           // writes whose result has not come back
	triggered   checkpoint.ID // the newest checkpoint triggered
}

// metadataWritten is the result of a FinalizeAction's write.
type metadataWritten struct {
	cp  *checkpoint.CompletedCheckpoint
	err error
}

func newDriver(c *checkpoint.Coordinator, att Attempt, store metadataStore, job string, logger *slog.Logger) *driver {
	return &driver{c: c, att: att, store: store, job: job, logger: logger,
		writes: newIOWorker(), deletes: newIOWorker(), written: make(chan metadataWritten),
		requests: make(chan triggerRequest), closing: make(chan struct{})}
}

// handle is how JobInfo reaches d's loop.
func (d *driver) handle() *driverHandle {
	return &driverHandle{requests: d.requests, closing: d.closing}
}

// run drives the coordinator until the attempt has taken its final
// checkpoint, the attempt ends or fails, or ctx is done; before it returns,
// every metadata write it started has reported back to the coordinator and
// both workers are stopped, so the next attempt restores from the newest
// checkpoint that is complete in storage.
func (d *driver) run(ctx context.Context) {
	c := d.c
	c.TasksRunning(time.Now())
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	inputsEnded := d.att.InputsEnded() // nil once every input ended
	var final checkpoint.ID
	// Checkpoints triggered after endedAfter capture the tasks' final
	// state: every input had ended when they were triggered.
	var endedAfter checkpoint.ID
	for {
		if inputsEnded == nil && d.finalCheckpoint(ctx, &final, endedAfter) {
			d.stop(ctx, checkpoint.ErrEndOfInput)
			return
		}
		now := time.Now()
		if next := c.NextDeadline(now); !next.IsZero() {
			timer.Reset(max(0, next.Sub(now)))
		} else {
			timer.Reset(time.Hour)
		}
		var acts []checkpoint.Action
		select {
		case <-timer.C:
			acts = c.Tick(time.Now())
		case m := <-d.att.Acks():
			acts = c.Receive(m, time.Now())
		case r := <-d.written:
			acts = d.finalized(r)
		case req := <-d.requests:
			acts = d.triggerNow(req)
		case <-inputsEnded:
			inputsEnded, endedAfter = nil, d.triggered
			continue
		case <-d.att.Done():
			d.stop(ctx, d.att.Cause())
			return
		case <-ctx.Done():
			d.stop(ctx, context.Cause(ctx))
			return
		}
		d.act(ctx, acts)
		d.stats()
	}
}

func (d *driver) stats() {
	if d.onStats != nil {
		d.onStats(d.c.Stats())
	}
}

// stop tells the coordinator that the tasks stopped, then waits for the
// metadata writes in flight (a fully acknowledged checkpoint still
// completes) and for the workers to finish what they hold.
func (d *driver) stop(ctx context.Context, cause error) {
	close(d.closing)
	ctx = context.WithoutCancel(ctx)
	d.act(ctx, d.c.TasksStopped(time.Now(), cause))
	for d.outstanding > 0 {
		d.act(ctx, d.finalized(<-d.written))
	}
	d.stats()
	d.writes.close()
	d.deletes.close()
}

// triggerNow triggers a checkpoint a person or a tool asked for, and
// tells the requester which, or why none.
func (d *driver) triggerNow(req triggerRequest) []checkpoint.Action {
	acts, err := d.c.TriggerNow(time.Now(), checkpoint.KindCheckpoint)
	var id checkpoint.ID
	for _, a := range acts {
		if t, ok := a.(checkpoint.TriggerAction); ok {
			id = t.Checkpoint
		}
	}
	if err == nil {
		d.logger.Info("checkpoint triggered on request", "job", d.job, "checkpoint", id)
	}
	req.done(id, err)
	return acts
}

// finalized feeds a metadata write's result back to the coordinator.
func (d *driver) finalized(r metadataWritten) []checkpoint.Action {
	d.outstanding--
	if r.err == nil {
		d.logger.Info("checkpoint completed", "job", d.job, "checkpoint", r.cp.ID,
			"size", r.cp.StateSize, "written", r.cp.CheckpointedSize, "duration", r.cp.Duration.Round(time.Millisecond))
	}
	return d.c.Finalized(r.cp.ID, r.cp, r.err, time.Now())
}

// finalCheckpoint takes the final checkpoint, once every input ended and
// before any sink commits its final output (as Flink does since 1.14): it
// records the sinks' final committables and the sources' end positions, so
// that a process killed while sinks commit, or before the job is marked
// finished, restores a job that publishes what is left and ends, instead
// of replaying the tail of its input. It triggers the checkpoint (again
// after a failed one, which the coordinator counts against
// execution.checkpointing.tolerable-failed-checkpoints) and reports true,
// after letting the sinks commit, once a checkpoint triggered after the
// end of the input is complete. *final holds the one in progress (0: none
// yet); checkpoints with IDs above endedAfter were triggered after the
// end.
func (d *driver) finalCheckpoint(ctx context.Context, final *checkpoint.ID, endedAfter checkpoint.ID) bool {
	c := d.c
	if *final != 0 {
		if l := c.Latest(); l != nil && l.ID >= *final {
			if d.beforeFinalCommit != nil {
				d.beforeFinalCommit()
			}
			d.att.CommitFinal()
			return true
		}
		if c.Pending(*final) != nil {
			return false
		}
		*final = 0 // it failed: take another
	}
	acts, err := c.TriggerNow(time.Now(), checkpoint.KindCheckpoint)
	if err != nil {
		// Another checkpoint is in progress. One triggered after the end
		// of the input (a periodic one, which the coordinator triggers as
		// soon as the previous one ends when checkpoints take longer than
		// the interval) is as final as ours: wait for it. Else trigger
		// once it is done.
		if d.triggered > endedAfter && c.Pending(d.triggered) != nil {
			*final = d.triggered
		}
		return false
	}
	for _, a := range acts {
		if t, ok := a.(checkpoint.TriggerAction); ok {
			*final = t.Checkpoint
		}
	}
	d.act(ctx, acts)
	return false
}

// act carries out coordinator actions. Storage work goes to the workers;
// the rest tells the attempt.
func (d *driver) act(ctx context.Context, acts []checkpoint.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case checkpoint.TriggerAction:
			d.triggered = max(d.triggered, a.Checkpoint)
			d.att.TriggerCheckpoint(int64(a.Checkpoint), a.Timestamp)
		case checkpoint.FinalizeAction:
			// Not cancelled with the driver: a half-written checkpoint
			// would count as a failure.
			cp, wctx := a.Checkpoint, context.WithoutCancel(ctx)
			d.outstanding++
			d.writes.do(func() { d.written <- metadataWritten{cp, d.store.WriteMetadata(wctx, cp)} })
		case checkpoint.NotifyCompleteAction:
			d.att.NotifyCheckpointComplete(int64(a.Checkpoint))
		case checkpoint.AbortAction:
			d.logger.Warn("checkpoint aborted", "job", d.job, "checkpoint", a.Checkpoint, "cause", a.Reason)
			d.att.AbortCheckpoint(int64(a.Checkpoint))
		case checkpoint.DiscardAction:
			// Not cancelled with the attempt either: the coordinator has
			// already forgotten the checkpoint, so a delete cut short would
			// leave it in storage for good (and retained on cancellation).
			id, dctx := a.Checkpoint, context.WithoutCancel(ctx)
			d.deletes.do(func() {
				if err := d.store.Discard(dctx, int64(id)); err != nil {
					d.logger.Warn("cannot delete checkpoint files", "job", d.job, "checkpoint", id, "cause", err)
				}
			})
		case checkpoint.FailJobAction:
			d.att.Fail(a.Cause)
		}
	}
}

// ioWorker runs functions one at a time, in the order given, on a
// goroutine of its own; close waits for those given to finish.
type ioWorker struct {
	mu      sync.Mutex
	queue   []func()
	closing bool
	wake    chan struct{} // a token when the queue grew or closing was set
	done    chan struct{} // closed when the goroutine returns
}

func newIOWorker() *ioWorker {
	w := &ioWorker{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go w.loop()
	return w
}

func (w *ioWorker) do(f func()) {
	w.mu.Lock()
	w.queue = append(w.queue, f)
	w.mu.Unlock()
	w.signal()
}

func (w *ioWorker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// close runs what was given, then stops the goroutine and joins it.
func (w *ioWorker) close() {
	w.mu.Lock()
	w.closing = true
	w.mu.Unlock()
	w.signal()
	<-w.done
}

func (w *ioWorker) loop() {
	defer close(w.done)
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			closing := w.closing
			w.mu.Unlock()
			if closing {
				return
			}
			<-w.wake
			continue
		}
		f := w.queue[0]
		w.queue[0] = nil
		w.queue = w.queue[1:]
		w.mu.Unlock()
		f()
	}
}
