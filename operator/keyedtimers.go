package operator

import (
	"time"

	"github.com/weirstream/weir/state"
)

// KeyedTimers are the event- and processing-time timers of a keyed
// operator (windows, Process, CoProcess): two deduplicated timer queues in
// the keyed backend, and the wake-up that fires processing-time timers on
// the subtask's goroutine.
type KeyedTimers[K comparable] struct {
	name string
	octx *Context
	// Event and Proc are the timer queues, by time domain.
	Event, Proc *state.TimerQueue[K]
	// lag is how far processing time must pass a timer before it fires:
	// 1 for windows (Flink fires a processing-time timer at t once the
	// clock is past t, so that a record arriving at t still belongs to a
	// window ending at t+1), 0 for keyed functions (Process, CoProcess).
	lag int64
	// onProc handles one due processing-time timer, its key current.
	OnProc func(ts int64) error

	// wake is the processing time the next firing is scheduled for (0:
	// none); cancelWake cancels it.
	wake       int64
	cancelWake func()
}

// NewKeyedTimers makes the timer queues "event" and "processing" of b;
// lag is how far processing time must pass a timer before it fires.
func NewKeyedTimers[K comparable](octx *Context, b *state.KeyedBackend[K], lag int64) (*KeyedTimers[K], error) {
	eq, err := state.NewTimerQueue(b, "event")
	if err != nil {
		return nil, err
	}
	pq, err := state.NewTimerQueue(b, "processing")
	if err != nil {
		return nil, err
	}
	return &KeyedTimers[K]{name: octx.Node.Name, octx: octx, Event: eq, Proc: pq, lag: lag}, nil
}

// Now is the subtask's processing time in ms.
func (t *KeyedTimers[K]) Now() int64 { return t.octx.Timers.Now().UnixMilli() }

// RegisterProc registers a processing-time timer for the current key.
func (t *KeyedTimers[K]) RegisterProc(ts int64) error {
	if err := t.Proc.Register(ts); err != nil {
		return err
	}
	t.Schedule()
	return nil
}

// Schedule makes sure a wake-up is scheduled for the earliest
// processing-time timer.
func (t *KeyedTimers[K]) Schedule() {
	next, ok := t.Proc.Next()
	if !ok {
		return
	}
	at := SaturatingAdd(next, t.lag) // a timer at MaxInt64 waits for the end
	if t.wake != 0 && t.wake <= at {
		return
	}
	if t.cancelWake != nil {
		t.cancelWake()
	}
	t.wake = at
	t.cancelWake = t.octx.Timers.At(time.UnixMilli(at), func() error {
		t.wake, t.cancelWake = 0, nil
		err := t.FireProc(t.Now() - t.lag)
		t.Schedule()
		return err
	})
}

// FireProc fires the processing-time timers due at upTo, in time order.
func (t *KeyedTimers[K]) FireProc(upTo int64) error {
	return FireQueue(t.name, t.Proc, upTo, t.OnProc)
}

// FireQueue pops every timer of q due at upTo, in time order, and calls f
// for it with its key current. f's errors come back as they are (f
// attributes its own); the queue's are operator name's.
func FireQueue[K comparable](name string, q *state.TimerQueue[K], upTo int64, f func(ts int64) error) error {
	for {
		ts, due, err := q.Pop(upTo)
		if err != nil {
			return WrapOperatorError(name, err)
		}
		if !due {
			return nil
		}
		if err := f(ts); err != nil {
			return err
		}
	}
}

// Close cancels the scheduled wake-up.
func (t *KeyedTimers[K]) Close() {
	if t.cancelWake != nil {
		t.cancelWake()
		t.cancelWake = nil
	}
}

// SaturatingAdd is a+b clamped to the int64 range (b >= 0).
func SaturatingAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return MaxWatermark
}

// KeyedSnapshots gives a keyed operator its part in checkpoints.
type KeyedSnapshots[K comparable] struct{ B *state.KeyedBackend[K] }

// SnapshotState implements StatefulOperator.
func (k KeyedSnapshots[K]) SnapshotState(id int64) (OperatorSnapshot, error) {
	s, err := k.B.Checkpoint(id)
	if err != nil {
		return OperatorSnapshot{}, err
	}
	return OperatorSnapshot{Keyed: s, KeyGroups: k.B.KeyGroups()}, nil
}

// TimeDomain is event time or processing time.
type TimeDomain int

// Time domains.
const (
	EventTime TimeDomain = iota
	ProcessingTime
)
