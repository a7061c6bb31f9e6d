package weir

import (
	"time"

	"github.com/weirstream/weir/operator"
	"github.com/weirstream/weir/state"
)

// keyedTimers are the event- and processing-time timers of a keyed
// operator (windows, Process, CoProcess): two deduplicated timer queues in
// the keyed backend, and the wake-up that fires processing-time timers on
// the subtask's goroutine.
type keyedTimers[K comparable] struct {
	name        string
	octx        *operator.Context
	event, proc *state.TimerQueue[K]
	// lag is how far processing time must pass a timer before it fires:
	// 1 for windows (Flink fires a processing-time timer at t once the
	// clock is past t, so that a record arriving at t still belongs to a
	// window ending at t+1), 0 for keyed functions (Process, CoProcess).
	lag int64
	// onProc handles one due processing-time timer, its key current.
	onProc func(ts int64) error

	// wake is the processing time the next firing is scheduled for (0:
	// none); cancelWake cancels it.
	wake       int64
	cancelWake func()
}

func newKeyedTimers[K comparable](octx *operator.Context, b *state.KeyedBackend[K], lag int64) (*keyedTimers[K], error) {
	eq, err := state.NewTimerQueue(b, "event")
	if err != nil {
		return nil, err
	}
	pq, err := state.NewTimerQueue(b, "processing")
	if err != nil {
		return nil, err
	}
	return &keyedTimers[K]{name: octx.Node.Name, octx: octx, event: eq, proc: pq, lag: lag}, nil
}

// now is the subtask's processing time in ms.
func (t *keyedTimers[K]) now() int64 { return t.octx.Timers.Now().UnixMilli() }

// registerProc registers a processing-time timer for the current key.
func (t *keyedTimers[K]) registerProc(ts int64) error {
	if err := t.proc.Register(ts); err != nil {
		return err
	}
	t.schedule()
	return nil
}

// schedule makes sure a wake-up is scheduled for the earliest
// processing-time timer.
func (t *keyedTimers[K]) schedule() {
	next, ok := t.proc.Next()
	if !ok {
		return
	}
	at := saturatingAdd(next, t.lag) // a timer at MaxInt64 waits for the end
	if t.wake != 0 && t.wake <= at {
		return
	}
	if t.cancelWake != nil {
		t.cancelWake()
	}
	t.wake = at
	t.cancelWake = t.octx.Timers.At(time.UnixMilli(at), func() error {
		t.wake, t.cancelWake = 0, nil
		err := t.fireProc(t.now() - t.lag)
		t.schedule()
		return err
	})
}

// fireProc fires the processing-time timers due at upTo, in time order.
func (t *keyedTimers[K]) fireProc(upTo int64) error {
	return fireQueue(t.name, t.proc, upTo, t.onProc)
}

// fireQueue pops every timer of q due at upTo, in time order, and calls f
// for it with its key current. f's errors come back as they are (f
// attributes its own); the queue's are operator name's.
func fireQueue[K comparable](name string, q *state.TimerQueue[K], upTo int64, f func(ts int64) error) error {
	for {
		ts, due, err := q.Pop(upTo)
		if err != nil {
			return operator.WrapOperatorError(name, err)
		}
		if !due {
			return nil
		}
		if err := f(ts); err != nil {
			return err
		}
	}
}

func (t *keyedTimers[K]) close() {
	if t.cancelWake != nil {
		t.cancelWake()
		t.cancelWake = nil
	}
}

// saturatingAdd is a+b clamped to the int64 range (b >= 0).
func saturatingAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return operator.MaxWatermark
}
