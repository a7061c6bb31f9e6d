package weir

import (
	"errors"
	"fmt"
	"time"

	"github.com/weirstream/weir/operator"
	"github.com/weirstream/weir/state"
)

// TimeWindow is the window [Start, End) of event time or processing time,
// in milliseconds since the epoch (Flink's TimeWindow); see
// operator.TimeWindow.
type TimeWindow = operator.TimeWindow

// windowFuncs are a window operator's functions over its accumulator, as
// the API declares them (see operator.WindowFuncs).
type windowFuncs[K comparable, T, ACC, OUT any] struct {
	add   func(acc ACC, ok bool, v T) (ACC, error)
	merge func(a, b ACC) (ACC, error)
	emit  func(ctx WindowContext[K], acc ACC, out Collector[OUT]) error
}

// op is fs as the window operator takes them.
func (fs windowFuncs[K, T, ACC, OUT]) op() operator.WindowFuncs[K, T, ACC, OUT] {
	return operator.WindowFuncs[K, T, ACC, OUT]{Add: fs.add, Merge: fs.merge,
		Emit: func(key K, w TimeWindow, watermark int64, acc ACC, out *operator.Emitter[OUT]) error {
			return fs.emit(WindowContext[K]{Key: key, Window: w, Watermark: watermark}, acc, out)
		}}
}

// WindowAssigner decides which windows a record belongs to (Flink's
// WindowAssigner). Make one with TumblingEventTimeWindows,
// SlidingEventTimeWindows, EventTimeSessionWindows, their processing-time
// counterparts, or GlobalWindows. Durations are truncated to whole
// milliseconds.
type WindowAssigner struct {
	a   operator.Assigner
	err error
}

// TumblingEventTimeWindows puts each record into the one window of length
// size that holds its event timestamp: [k*size, (k+1)*size) for whole k
// (shifted by an offset, see WithOffset).
func TumblingEventTimeWindows(size time.Duration) WindowAssigner {
	return tumbling(size, true)
}

// TumblingProcessingTimeWindows is TumblingEventTimeWindows over the
// subtask's clock at the time the record arrives.
func TumblingProcessingTimeWindows(size time.Duration) WindowAssigner {
	return tumbling(size, false)
}

func tumbling(size time.Duration, eventTime bool) WindowAssigner {
	a := WindowAssigner{a: operator.Assigner{Kind: operator.TumblingWindows, EventTime: eventTime, Size: size.Milliseconds(), Slide: size.Milliseconds()}}
	if a.a.Size <= 0 {
		a.err = fmt.Errorf("%v: the size must be at least 1ms", a)
	}
	return a
}

// SlidingEventTimeWindows puts each record into every window of length
// size, starting every slide, that holds its event timestamp: size/slide
// windows when slide divides size.
func SlidingEventTimeWindows(size, slide time.Duration) WindowAssigner {
	return sliding(size, slide, true)
}

// SlidingProcessingTimeWindows is SlidingEventTimeWindows over the
// subtask's clock at the time the record arrives.
func SlidingProcessingTimeWindows(size, slide time.Duration) WindowAssigner {
	return sliding(size, slide, false)
}

func sliding(size, slide time.Duration, eventTime bool) WindowAssigner {
	a := WindowAssigner{a: operator.Assigner{Kind: operator.SlidingWindows, EventTime: eventTime, Size: size.Milliseconds(), Slide: slide.Milliseconds()}}
	if a.a.Size <= 0 || a.a.Slide <= 0 {
		a.err = fmt.Errorf("%v: the size and the slide must be at least 1ms", a)
	}
	return a
}

// EventTimeSessionWindows groups a key's records into sessions: a record
// at t opens the window [t, t+gap), and windows of the same key that
// overlap or touch merge into one. A session therefore ends when the key
// has no record for more than gap. Aggregations over session windows must
// be able to merge accumulators (see AccumulatorMerger).
func EventTimeSessionWindows(gap time.Duration) WindowAssigner {
	return sessions(gap, true)
}

// ProcessingTimeSessionWindows is EventTimeSessionWindows over the
// subtask's clock at the time the record arrives.
func ProcessingTimeSessionWindows(gap time.Duration) WindowAssigner {
	return sessions(gap, false)
}

func sessions(gap time.Duration, eventTime bool) WindowAssigner {
	a := WindowAssigner{a: operator.Assigner{Kind: operator.SessionWindows, EventTime: eventTime, Gap: gap.Milliseconds()}}
	if a.a.Gap <= 0 {
		a.err = fmt.Errorf("%v: the gap must be at least 1ms", a)
	}
	return a
}

// GlobalWindows puts every record of a key into one window that never
// ends. It fires only by a trigger, which WindowedStream.Trigger must set
// (CountTrigger, for instance); CountWindow declares the usual case.
func GlobalWindows() WindowAssigner {
	return WindowAssigner{a: operator.Assigner{Kind: operator.GlobalWindows}}
}

// WithOffset shifts tumbling or sliding windows by offset, which must be
// smaller than the slide in absolute value: TumblingEventTimeWindows(time.Hour).WithOffset(15*time.Minute)
// gives windows [0:15, 1:15), [1:15, 2:15) and so on.
func (a WindowAssigner) WithOffset(offset time.Duration) WindowAssigner {
	if a.err != nil {
		return a
	}
	switch a.a.Kind {
	case operator.TumblingWindows, operator.SlidingWindows:
		a.a.Offset = offset.Milliseconds()
		if a.a.Offset <= -a.a.Slide || a.a.Offset >= a.a.Slide {
			a.err = fmt.Errorf("%v: the offset %v must be smaller than the slide in absolute value", a, offset)
		}
	default:
		a.err = fmt.Errorf("%v: only tumbling and sliding windows take an offset", a)
	}
	return a
}

// IsEventTime reports whether the assigner works in event time.
func (a WindowAssigner) IsEventTime() bool { return a.a.EventTime }

// String names the assigner as Flink does, with its parameters.
func (a WindowAssigner) String() string { return a.a.String() }

// Trigger decides when a window fires (Flink's Trigger). The zero Trigger
// is the assigner's default: EventTimeTrigger for event-time windows,
// ProcessingTimeTrigger for processing-time windows; GlobalWindows has
// none. A firing emits the window's current result and keeps its contents
// unless the trigger purges (PurgingTrigger).
type Trigger struct{ t operator.Trigger }

// EventTimeTrigger fires a window once the watermark reaches its
// MaxTimestamp, and again for every record added to it later (within the
// allowed lateness).
func EventTimeTrigger() Trigger { return Trigger{operator.Trigger{Kind: operator.TriggerEventTime}} }

// ProcessingTimeTrigger fires a window once the subtask's clock passes its
// MaxTimestamp.
func ProcessingTimeTrigger() Trigger {
	return Trigger{operator.Trigger{Kind: operator.TriggerProcessingTime}}
}

// CountTrigger fires a window every n records added to it (n, 2n, ...,
// each firing seeing all records so far unless purged).
func CountTrigger(n int64) Trigger {
	return Trigger{operator.Trigger{Kind: operator.TriggerCount, Count: n}}
}

// PurgingTrigger makes t clear the window's contents after each firing.
func PurgingTrigger(t Trigger) Trigger { t.t.Purge = true; return t }

// String names the trigger as Flink does.
func (t Trigger) String() string { return t.t.String() }

// WindowedStream is a keyed stream cut into windows, waiting for the
// function that computes each window's result: ReduceWindow,
// AggregateWindow, ProcessWindow, or the combinations ReduceProcessWindow
// and AggregateProcessWindow (Flink's WindowedStream).
type WindowedStream[K comparable, T any] struct {
	ks       KeyedStream[K, T]
	assigner WindowAssigner
	trigger  Trigger
	lateness int64 // ms
	lateTag  string
	hasLate  bool
	err      error
}

// Window cuts a keyed stream into the windows of assigner. Event-time
// windows need records with timestamps (AssignTimestampsAndWatermarks
// upstream); they fire when the watermark reaches their MaxTimestamp.
func Window[K comparable, T any](ks KeyedStream[K, T], assigner WindowAssigner) WindowedStream[K, T] {
	ws := WindowedStream[K, T]{ks: ks, assigner: assigner, err: assigner.err}
	if assigner.a.Kind == 0 {
		ws.err = errors.New("the window assigner is the zero WindowAssigner; use TumblingEventTimeWindows and friends")
	}
	return ws
}

// CountWindow cuts a keyed stream into windows of n records per key: a
// global window with PurgingTrigger(CountTrigger(n)), as Flink's
// countWindow(n). A key's last records, fewer than n, are never emitted.
func CountWindow[K comparable, T any](ks KeyedStream[K, T], n int64) WindowedStream[K, T] {
	return Window(ks, GlobalWindows()).Trigger(PurgingTrigger(CountTrigger(n)))
}

// Trigger replaces the assigner's default trigger.
func (ws WindowedStream[K, T]) Trigger(t Trigger) WindowedStream[K, T] {
	if t.t.Kind == operator.TriggerCount && t.t.Count <= 0 && ws.err == nil {
		ws.err = fmt.Errorf("%v: the count must be at least 1", t)
	}
	ws.trigger = t
	return ws
}

// AllowedLateness keeps an event-time window's state for d after its end:
// a record for the window that arrives when the watermark is past the
// window's MaxTimestamp but not past MaxTimestamp+d is added and fires the
// window again (a late firing, with the updated result). At MaxTimestamp+d
// the state is cleared; records later than that are late: they go to the
// side output of SideOutputLateData, or are dropped and counted (the
// operator logs numLateRecordsDropped when it closes). Zero by default;
// processing-time windows ignore it.
func (ws WindowedStream[K, T]) AllowedLateness(d time.Duration) WindowedStream[K, T] {
	if d < 0 && ws.err == nil {
		ws.err = fmt.Errorf("allowed lateness %v is negative", d)
	}
	ws.lateness = d.Milliseconds()
	return ws
}

// SideOutputLateData sends the records that arrive after their windows
// were cleared (see AllowedLateness) to the side output tag of the
// window's result stream: weir.SideOutput(result, tag).
func (ws WindowedStream[K, T]) SideOutputLateData(tag OutputTag[T]) WindowedStream[K, T] {
	ws.lateTag, ws.hasLate = tag.id, true
	return ws
}

// WindowContext is what a window function learns of the firing window.
type WindowContext[K comparable] struct {
	// Key is the key of the window.
	Key K
	// Window is the window firing; for session windows, the merged one.
	Window TimeWindow
	// Watermark is the operator's event time when the window fires
	// (MinWatermark before the first watermark).
	Watermark int64
}

// ProcessWindowFunc computes the result of one window firing from its
// elements, emitting any number of records to out, each with the
// timestamp ctx.Window.MaxTimestamp(). With ProcessWindow, elements are all
// the window's records in arrival order (for a session, the records of the
// sessions it merged, one session after the other by start, then those
// added since); with AggregateProcessWindow and
// ReduceProcessWindow, the one pre-aggregated value. The function must not
// keep or modify elements after it returns.
type ProcessWindowFunc[K comparable, IN, OUT any] func(ctx WindowContext[K], elements []IN, out Collector[OUT]) error

// AccumulatorMerger is implemented by an Aggregator whose accumulators can
// be merged, which session windows need (Flink's AggregateFunction.merge).
type AccumulatorMerger[ACC any] interface {
	Merge(a, b ACC) (ACC, error)
}

// ReduceWindow folds each window's records with f, keeping one value per
// key and window, and emits the value when the window fires.
func ReduceWindow[K comparable, T any](ws WindowedStream[K, T], f func(a, b T) (T, error)) DataStream[T] {
	return ReduceProcessWindow(ws, f, func(_ WindowContext[K], v []T, out Collector[T]) error {
		out.Collect(v[0])
		return nil
	})
}

// ReduceProcessWindow folds each window's records with f, and calls fn with
// the folded value when the window fires (Flink's reduce(f, windowFn)).
func ReduceProcessWindow[K comparable, T, OUT any](ws WindowedStream[K, T], f func(a, b T) (T, error), fn ProcessWindowFunc[K, T, OUT]) DataStream[OUT] {
	return windowed(ws, "Window(Reduce)", windowFuncs[K, T, T, OUT]{
		add: func(acc T, ok bool, v T) (T, error) {
			if !ok {
				return v, nil
			}
			return f(acc, v)
		},
		merge: f,
		emit: func(ctx WindowContext[K], acc T, out Collector[OUT]) error {
			return fn(ctx, []T{acc}, out)
		},
	})
}

// AggregateWindow folds each window's records into one accumulator with
// agg, incrementally, and emits agg's result when the window fires. For
// session windows agg must implement AccumulatorMerger; ACC needs a codec.
func AggregateWindow[K comparable, T, ACC, OUT any](ws WindowedStream[K, T], agg Aggregator[T, ACC, OUT]) DataStream[OUT] {
	return AggregateProcessWindow(ws, agg, func(_ WindowContext[K], v []OUT, out Collector[OUT]) error {
		out.Collect(v[0])
		return nil
	})
}

// AggregateProcessWindow folds each window's records with agg, and calls fn
// with agg's result when the window fires (Flink's aggregate(agg,
// windowFn)): incremental state, with the key and window at hand for the
// output.
func AggregateProcessWindow[K comparable, T, ACC, V, OUT any](ws WindowedStream[K, T], agg Aggregator[T, ACC, V], fn ProcessWindowFunc[K, V, OUT]) DataStream[OUT] {
	fs := windowFuncs[K, T, ACC, OUT]{
		add: func(acc ACC, ok bool, v T) (ACC, error) {
			if !ok {
				acc = agg.CreateAccumulator()
			}
			return agg.Add(v, acc)
		},
		emit: func(ctx WindowContext[K], acc ACC, out Collector[OUT]) error {
			v, err := agg.Result(acc)
			if err != nil {
				return err
			}
			return fn(ctx, []V{v}, out)
		},
	}
	if m, ok := agg.(AccumulatorMerger[ACC]); ok {
		fs.merge = m.Merge
	}
	return windowed(ws, "Window(Aggregate)", fs)
}

// ProcessWindow keeps every record of each window (as a list per key and
// window) and calls fn with all of them when the window fires. Prefer
// AggregateProcessWindow when the result can be computed incrementally.
func ProcessWindow[K comparable, T, OUT any](ws WindowedStream[K, T], fn ProcessWindowFunc[K, T, OUT]) DataStream[OUT] {
	return windowed(ws, "Window(Process)", windowFuncs[K, T, []T, OUT]{
		add: func(acc []T, _ bool, v T) ([]T, error) {
			// Appending writes beyond the length any snapshot captured (see
			// package state): the list is never changed in place otherwise.
			return append(acc, v), nil
		},
		merge: func(a, b []T) ([]T, error) {
			return append(append(make([]T, 0, len(a)+len(b)), a...), b...), nil
		},
		emit: func(ctx WindowContext[K], acc []T, out Collector[OUT]) error {
			return fn(ctx, acc[:len(acc):len(acc)], out)
		},
	})
}

// resolve checks the combination and fills in the default trigger.
func (ws WindowedStream[K, T]) resolve(canMerge bool) (operator.WindowSpec, error) {
	s := operator.WindowSpec{Assigner: ws.assigner.a, Trigger: ws.trigger.t, Lateness: ws.lateness}
	if ws.err != nil {
		return s, ws.err
	}
	if s.Trigger.Kind == operator.TriggerDefault {
		switch {
		case s.Assigner.Kind == operator.GlobalWindows:
			return s, errors.New("GlobalWindows never fire by themselves: set a trigger, e.g. .Trigger(weir.CountTrigger(n)), or use weir.CountWindow")
		case s.Assigner.EventTime:
			s.Trigger.Kind = operator.TriggerEventTime
		default:
			s.Trigger.Kind = operator.TriggerProcessingTime
		}
	}
	if !s.Assigner.EventTime {
		s.Lateness = 0
	}
	if s.Assigner.Merging() && !canMerge {
		return s, fmt.Errorf("%v merge windows, so the aggregator must implement weir.AccumulatorMerger", s.Assigner)
	}
	return s, nil
}

// windowed declares the window operator.
func windowed[K comparable, T, ACC, OUT any](ws WindowedStream[K, T], name string, fns windowFuncs[K, T, ACC, OUT]) DataStream[OUT] {
	env := ws.ks.in.env
	spec, err := ws.resolve(fns.merge != nil)
	if err != nil {
		env.errs = append(env.errs, fmt.Errorf("operator %q: %w", name, err))
	}
	codecFor[ACC](env, name)
	lateTag, hasLate := ws.lateTag, ws.hasLate
	ofns := fns.op()
	return keyedInput(ws.ks, name, func(ctx *operator.Context, b *state.KeyedBackend[K], out operator.Output[OUT]) (operator.Output[T], operator.Operator, error) {
		var late operator.Output[T]
		if hasLate {
			late = operator.SideOutput[T](ctx, lateTag)
		}
		return operator.NewWindowOp(ctx, b, spec, ws.ks.key, ofns, out, late)
	})
}
