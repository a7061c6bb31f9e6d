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
)

type stepResult int

const (
	stepNone stepResult = iota // nothing available now
	stepMore                   // made progress; call again
	stepEnd                    // the input has ended
)

// taskInput is where a subtask's records come from: a source's fetched
// batches or the network input gate. step never blocks.
type taskInput interface {
	step() (stepResult, error)
	available() <-chan struct{}
}

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
	headName string
	index    int
	parallel int
	ops      []Operator // chain order, head first
	input    taskInput
	writers  []*PartitionWriter
	mail     *mailbox
	timeout  time.Duration // execution.buffer-timeout.interval
	logger   *slog.Logger
	gate     *gateInput // nil for sources
}

func (t *subtask) fail(err error) error {
	op := t.headName
	var oe *OperatorError
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
		res, err := t.input.step()
		if err != nil {
			return t.fail(err)
		}
		switch res {
		case stepEnd:
			return t.finish()
		case stepMore:
			select {
			case <-tick:
				if err := t.flush(); err != nil {
					return t.fail(err)
				}
			default:
			}
			continue
		}
		select {
		case <-t.input.available():
		case <-t.mail.notify:
		case <-tick:
			if err := t.flush(); err != nil {
				return t.fail(err)
			}
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
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
// final records), then every output gets its end-of-partition.
func (t *subtask) finish() error {
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
	return nil
}

// gateInput reads the network input gate of a subtask whose head is fed by
// other tasks.
type gateInput struct {
	gate    *InputGate
	readers []bufferProcessor // per channel
	ended   int
}

func (g *gateInput) available() <-chan struct{} { return g.gate.notify }

func (g *gateInput) step() (stepResult, error) {
	e, ch, ok := g.gate.poll()
	if !ok {
		return stepNone, nil
	}
	if e.buf != nil {
		err := g.readers[ch.index].process(e.buf.data)
		ch.release(e.buf)
		return stepMore, err
	}
	switch e.ev.(type) {
	case EndOfPartition:
		g.ended++
		if g.ended == len(g.readers) {
			return stepEnd, nil
		}
	}
	return stepMore, nil
}

// recordsIn is the number of records the gate delivered so far.
func (g *gateInput) recordsIn() int64 {
	var n int64
	for _, r := range g.readers {
		n += r.count()
	}
	return n
}
