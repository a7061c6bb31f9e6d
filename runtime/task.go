package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/operator"
)

// mailbox holds actions for the subtask's goroutine (checkpoint triggers,
// completion notices, timers). Any goroutine may Put; only the subtask runs
// them, between records.
type mailbox struct {
	mu      sync.Mutex
	mails   []func() error
	pending atomic.Int32
	notify  chan struct{}
}

func newMailbox() *mailbox { return &mailbox{notify: make(chan struct{}, 1)} }

// Put queues f to run on the subtask's goroutine.
func (m *mailbox) Put(f func() error) {
	m.mu.Lock()
	m.mails = append(m.mails, f)
	m.pending.Add(1)
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

func (m *mailbox) run() error {
	if m.pending.Load() == 0 {
		return nil
	}
	m.mu.Lock()
	mails := m.mails
	m.mails = nil
	m.pending.Store(0)
	m.mu.Unlock()
	for _, f := range mails {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// subtask is one parallel instance of a vertex: a chain of operators driven
// by one goroutine.
type subtask struct {
	name     string // "Vertex (i/p)"
	vertex   string // the vertex's name
	headName string
	index    int
	parallel int
	ops      []operator.Operator // chain order, head first
	metrics  []*operator.Metrics // the operators' own figures, chain order
	input    operator.Input
	writers  []*PartitionWriter
	mail     *mailbox
	timeout  time.Duration // execution.buffer-timeout.interval
	logger   *slog.Logger
	gate     *gateInput // nil for sources

	// records counts what the subtask took in: records read from the
	// network, or emitted by its source. Updated once per buffer or batch.
	records atomic.Int64
	// recordsOut counts records written to the network (published per
	// buffer), idle the nanoseconds spent waiting for input or mail (and,
	// once the input ended, for the rest of the job: a finished subtask is
	// idle), and backPressured those spent waiting for an output buffer or
	// credit.
	recordsOut    atomic.Int64
	idle          atomic.Int64
	backPressured atomic.Int64
	// idleSince is when the wait in progress began (unix nanoseconds; 0 when
	// not waiting), so a sample can count a long wait before it ends.
	idleSince atomic.Int64
	bpSince   atomic.Int64 // likewise for back pressure
	// inputWatermark is the gate's watermark, for Status; written when it
	// advances.
	inputWatermark atomic.Int64
	// outputWatermark is the last watermark sent to the network outputs,
	// for Status; written per watermark.
	outputWatermark atomic.Int64
	// bytesIn and bytesOut count the bytes of the network buffers the
	// subtask read and sent, per buffer.
	bytesIn, bytesOut atomic.Int64

	rc     operator.RecordContext // the current record's timestamp, for the chain
	timers *timerService

	ckpt  *taskCheckpointer // nil when checkpointing is off
	async sync.WaitGroup    // asynchronous snapshot parts in flight
	// inputEnded is called once when the input has ended and every
	// operator finished; jobDone is closed when every subtask of the job
	// has, so that sinks commit their final output only then.
	inputEnded func()
	jobDone    <-chan struct{}
	ended      bool // the input ended; no more checkpoints
	// cleanups and completions are what operators registered through
	// operator.Context.OnClose and OnCheckpointComplete.
	cleanups    []func()
	completions []func(id int64)
}

// OnClose implements operator.TaskHooks: f runs when the subtask ends
// (also after a failure), after every operator closed and every
// asynchronous checkpoint part finished.
func (t *subtask) OnClose(f func()) { t.cleanups = append(t.cleanups, f) }

// OnCheckpointComplete implements operator.TaskHooks: f runs on the
// subtask's goroutine when a checkpoint completes.
func (t *subtask) OnCheckpointComplete(f func(id int64)) { t.completions = append(t.completions, f) }

func (t *subtask) fail(err error) error {
	op := t.headName
	var oe *operator.OperatorError
	if errors.As(err, &oe) {
		op = oe.Operator
	}
	return &TaskError{Operator: op, Subtask: t.index, Parallelism: t.parallel, Err: err}
}

// run drives the subtask until its input ends, it fails, or ctx is done.
func (t *subtask) run(ctx context.Context) (err error) {
	opened := len(t.ops)
	defer func() {
		if r := recover(); r != nil {
			t.logger.Error("panic in task", "task", t.name, "panic", r, "stack", string(debug.Stack()))
			err = t.fail(fmt.Errorf("panic: %v", r))
		}
		for i := opened; i < len(t.ops); i++ {
			if cerr := t.ops[i].Close(); cerr != nil && err == nil {
				err = t.fail(cerr)
			}
		}
		for _, w := range t.writers {
			w.release()
		}
		t.timers.close()
		t.async.Wait()
		// Cleanups run after the asynchronous parts, which may still read
		// local files the operators own.
		for _, c := range t.cleanups {
			c()
		}
		// A subtask that ended does nothing from now on: it is idle, not
		// busy, until the job's figures stop being sampled.
		t.idleSince.CompareAndSwap(0, time.Now().UnixNano())
	}()
	for i := len(t.ops) - 1; i >= 0; i-- {
		opened = i
		if err := t.ops[i].Open(); err != nil {
			opened = i + 1
			return t.fail(err)
		}
	}
	opened = 0
	var tick <-chan time.Time
	if t.timeout > 0 {
		tk := time.NewTicker(t.timeout)
		defer tk.Stop()
		tick = tk.C
	}
	for {
		if err := t.mail.run(); err != nil {
			return t.fail(err)
		}
		res, err := t.input.Step()
		if err != nil {
			return t.fail(err)
		}
		switch res {
		case operator.StepEnd:
			return t.finish(ctx)
		case operator.StepMore:
			select {
			case <-tick:
				if err := t.flush(); err != nil {
					return t.fail(err)
				}
			default:
			}
			continue
		}
		waitStart := t.idleBegin()
		select {
		case <-t.input.Available():
		case <-t.mail.notify:
		case <-tick:
			t.idleEnd(waitStart)
			if err := t.flush(); err != nil {
				return t.fail(err)
			}
			continue
		case <-ctx.Done():
			t.idleSince.Store(0)
			return context.Cause(ctx)
		}
		t.idleEnd(waitStart)
	}
}

// idleBegin marks the start of a wait with nothing to do (for input, mail,
// or the rest of the job): it counts as idle time, also while it lasts.
func (t *subtask) idleBegin() time.Time {
	now := time.Now()
	t.idleSince.Store(now.UnixNano())
	return now
}

// idleEnd ends the wait idleBegin began at start.
func (t *subtask) idleEnd(start time.Time) {
	t.idle.Add(int64(time.Since(start)))
	t.idleSince.Store(0)
}

func (t *subtask) flush() error {
	for _, w := range t.writers {
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// finish ends a bounded input: operators finish head first (each may emit
// final records), then every output gets its end-of-partition. The subtask
// then waits, still serving its mailbox, until every subtask of the job has
// finished, and only then lets its operators commit their final output.
func (t *subtask) finish(ctx context.Context) error {
	for _, op := range t.ops {
		if err := op.Finish(); err != nil {
			return t.fail(err)
		}
	}
	for _, w := range t.writers {
		if err := w.BroadcastEvent(EndOfPartition{}); err != nil {
			return t.fail(err)
		}
	}
	t.ended = true
	if t.ckpt != nil {
		if err := t.takeAwaiting(ctx); err != nil {
			return t.fail(err)
		}
	}
	if t.inputEnded != nil {
		t.inputEnded()
	}
	if t.jobDone != nil {
		// A finished subtask waiting for the rest of the job is idle (its
		// mails, checkpoints after the end of input, are work).
		waitStart, waiting := t.idleBegin(), true
		defer func() {
			if waiting {
				t.idleEnd(waitStart)
			}
		}()
		for done := false; !done; {
			select {
			case <-t.jobDone:
				done = true
			case <-t.mail.notify:
				t.idleEnd(waitStart)
				waiting = false
				if err := t.mail.run(); err != nil {
					return t.fail(err)
				}
				waitStart, waiting = t.idleBegin(), true
			case <-ctx.Done():
				select {
				case <-t.jobDone: // the job finished first: commit
					done = true
				default:
					return context.Cause(ctx)
				}
			}
		}
	}
	return t.notifyComplete(connector.FinalCheckpoint)
}

// notifyComplete tells every listening operator that checkpoint id is
// complete.
func (t *subtask) notifyComplete(id int64) error {
	if t.ckpt != nil && id != connector.FinalCheckpoint {
		t.ckpt.shared.complete(id)
	}
	for _, f := range t.completions {
		f(id)
	}
	for _, op := range t.ops {
		if l, ok := op.(operator.CheckpointListener); ok {
			if err := l.NotifyCheckpointComplete(id); err != nil {
				return t.fail(err)
			}
		}
	}
	return nil
}

// onEvent handles an in-band event from input channel ch.
func (t *subtask) onEvent(ctx context.Context, ch int, ev Event) (ended bool, err error) {
	switch e := ev.(type) {
	case EndOfPartition:
		if t.ckpt != nil && t.ckpt.aligner != nil {
			if err := t.aligned(ctx, t.ckpt.aligner.end(ch)); err != nil {
				return false, err
			}
		}
		return true, nil
	case CheckpointBarrier:
		if t.ckpt == nil || t.ckpt.aligner == nil {
			return false, nil
		}
		r := t.ckpt.aligner.barrier(ch, e, time.Now())
		if r.block {
			t.gate.gate.Block(ch)
		}
		if r.aborted != 0 {
			t.logger.Info("checkpoint overtaken by a newer one during alignment", "checkpoint", r.aborted, "newer", e.ID)
		}
		return false, t.aligned(ctx, r)
	}
	return false, nil
}

// aligned acts on an alignment step: take the checkpoint if every barrier
// is in, and release held channels.
func (t *subtask) aligned(ctx context.Context, r alignResult) error {
	var err error
	if r.complete != 0 {
		err = t.checkpoint(ctx, r.barrier, r.alignStart)
	}
	for _, ch := range r.release {
		t.gate.gate.Unblock(ch)
	}
	return err
}

// gateInput reads the network input gate of a subtask whose head is fed by
// other tasks.
type gateInput struct {
	records *atomic.Int64
	bytes   *atomic.Int64 // bytes of the buffers read, per buffer
	gate    *InputGate
	readers []*frameReader // per channel
	ended   int
	onEvent func(ch int, ev Event) (ended bool, err error)

	// Event time: each channel's watermark, whether it is idle or ended;
	// the task's watermark is the minimum over channels neither idle nor
	// ended, and never goes back.
	head interface {
		EmitWatermark(operator.Watermark) error
	}
	wms     []int64
	idle    []bool
	chEnded []bool
	current int64
	// published is current as Status reads it.
	published *atomic.Int64
	idleAll   bool
}

func (g *gateInput) initWatermarks(head interface {
	EmitWatermark(operator.Watermark) error
}) {
	n := len(g.readers)
	g.head, g.wms, g.idle, g.chEnded, g.current = head, make([]int64, n), make([]bool, n), make([]bool, n), operator.MinWatermark
	for i := range g.wms {
		g.wms[i] = operator.MinWatermark
	}
	g.published.Store(operator.MinWatermark)
}

// watermark takes a watermark or idleness mark from channel ch.
func (g *gateInput) watermark(ch int, wm operator.Watermark) error {
	if wm.Idle {
		g.idle[ch] = true
	} else {
		g.idle[ch] = false
		g.wms[ch] = max(g.wms[ch], wm.Time)
	}
	return g.advance()
}

// advance recomputes the task's watermark and passes it on when it moved,
// or marks the task idle when every live channel is.
func (g *gateInput) advance() error {
	low, active, live := operator.MaxWatermark, false, false
	for i, w := range g.wms {
		if g.chEnded[i] {
			continue
		}
		live = true
		if g.idle[i] {
			continue
		}
		active = true
		low = min(low, w)
	}
	switch {
	case !live: // every channel ended: event time is over
		low = operator.MaxWatermark
	case !active:
		if !g.idleAll {
			g.idleAll = true
			return g.head.EmitWatermark(operator.Watermark{Idle: true})
		}
		return nil
	}
	g.idleAll = false
	if low > g.current {
		g.current = low
		g.published.Store(low)
		return g.head.EmitWatermark(operator.Watermark{Time: low})
	}
	return nil
}

func (g *gateInput) Available() <-chan struct{} { return g.gate.notify }

func (g *gateInput) Step() (operator.StepResult, error) {
	e, ch, ok := g.gate.poll()
	if !ok {
		return operator.StepNone, nil
	}
	if e.buf != nil {
		if g.idle[ch.index] { // data makes an idle channel active again
			g.idle[ch.index], g.idleAll = false, false
		}
		r := g.readers[ch.index]
		before := r.count()
		g.bytes.Add(int64(len(e.buf.data)))
		err := r.process(e.buf.data)
		g.records.Add(r.count() - before)
		ch.release(e.buf)
		return operator.StepMore, err
	}
	if wm, ok := e.ev.(operator.Watermark); ok {
		return operator.StepMore, g.watermark(ch.index, wm)
	}
	ended, err := g.onEvent(ch.index, e.ev)
	if err != nil {
		return operator.StepNone, err
	}
	if ended {
		g.chEnded[ch.index] = true
		if err := g.advance(); err != nil {
			return operator.StepNone, err
		}
		if g.ended++; g.ended == len(g.readers) {
			return operator.StepEnd, nil
		}
	}
	return operator.StepMore, nil
}
