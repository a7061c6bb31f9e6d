package weir

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/weirstream/weir/operator"
	"github.com/weirstream/weir/state"
)

// TimeWindow is the window [Start, End) of event time or processing time,
// in milliseconds since the epoch (Flink's TimeWindow). A window holds the
// records whose timestamp t has Start <= t < End; it fires when time
// reaches MaxTimestamp, End-1.
//
// The global window of GlobalWindows is {math.MinInt64, math.MaxInt64};
// its MaxTimestamp is math.MaxInt64 (Flink's GlobalWindow).
type TimeWindow struct {
	Start, End int64
}

// MaxTimestamp is the last millisecond in the window, End-1; the timestamp
// of every record a firing of the window emits.
func (w TimeWindow) MaxTimestamp() int64 {
	if w.End == math.MaxInt64 {
		return math.MaxInt64
	}
	return w.End - 1
}

// String formats the window as [Start,End).
func (w TimeWindow) String() string { return fmt.Sprintf("[%d,%d)", w.Start, w.End) }

// intersects reports whether w and o overlap or touch (Flink's
// TimeWindow.intersects: session windows that touch are merged).
func (w TimeWindow) intersects(o TimeWindow) bool { return w.Start <= o.End && w.End >= o.Start }

// cover is the smallest window holding w and o.
func (w TimeWindow) cover(o TimeWindow) TimeWindow {
	return TimeWindow{Start: min(w.Start, o.Start), End: max(w.End, o.End)}
}

var globalWindow = TimeWindow{Start: math.MinInt64, End: math.MaxInt64}

type assignerKind uint8

const (
	tumblingWindows assignerKind = iota + 1
	slidingWindows
	sessionWindows
	globalWindows
)

// WindowAssigner decides which windows a record belongs to (Flink's
// WindowAssigner). Make one with TumblingEventTimeWindows,
// SlidingEventTimeWindows, EventTimeSessionWindows, their processing-time
// counterparts, or GlobalWindows. Durations are truncated to whole
// milliseconds.
type WindowAssigner struct {
	kind      assignerKind
	eventTime bool
	// size and slide (tumbling, sliding), offset, gap (sessions), in ms.
	size, slide, offset, gap int64
	err                      error
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
	a := WindowAssigner{kind: tumblingWindows, eventTime: eventTime, size: size.Milliseconds(), slide: size.Milliseconds()}
	if a.size <= 0 {
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
	a := WindowAssigner{kind: slidingWindows, eventTime: eventTime, size: size.Milliseconds(), slide: slide.Milliseconds()}
	if a.size <= 0 || a.slide <= 0 {
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
	a := WindowAssigner{kind: sessionWindows, eventTime: eventTime, gap: gap.Milliseconds()}
	if a.gap <= 0 {
		a.err = fmt.Errorf("%v: the gap must be at least 1ms", a)
	}
	return a
}

// GlobalWindows puts every record of a key into one window that never
// ends. It fires only by a trigger, which WindowedStream.Trigger must set
// (CountTrigger, for instance); CountWindow declares the usual case.
func GlobalWindows() WindowAssigner { return WindowAssigner{kind: globalWindows} }

// WithOffset shifts tumbling or sliding windows by offset, which must be
// smaller than the slide in absolute value: TumblingEventTimeWindows(time.Hour).WithOffset(15*time.Minute)
// gives windows [0:15, 1:15), [1:15, 2:15) and so on.
func (a WindowAssigner) WithOffset(offset time.Duration) WindowAssigner {
	if a.err != nil {
		return a
	}
	switch a.kind {
	case tumblingWindows, slidingWindows:
		a.offset = offset.Milliseconds()
		if a.offset <= -a.slide || a.offset >= a.slide {
			a.err = fmt.Errorf("%v: the offset %v must be smaller than the slide in absolute value", a, offset)
		}
	default:
		a.err = fmt.Errorf("%v: only tumbling and sliding windows take an offset", a)
	}
	return a
}

// IsEventTime reports whether the assigner works in event time.
func (a WindowAssigner) IsEventTime() bool { return a.eventTime }

// String names the assigner as Flink does, with its parameters.
func (a WindowAssigner) String() string {
	domain := "ProcessingTime"
	if a.eventTime {
		domain = "EventTime"
	}
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	off := ""
	if a.offset != 0 {
		off = fmt.Sprintf(", offset %v", ms(a.offset))
	}
	switch a.kind {
	case tumblingWindows:
		return fmt.Sprintf("Tumbling%sWindows(%v%s)", domain, ms(a.size), off)
	case slidingWindows:
		return fmt.Sprintf("Sliding%sWindows(%v, %v%s)", domain, ms(a.size), ms(a.slide), off)
	case sessionWindows:
		return fmt.Sprintf("%sSessionWindows(%v)", domain, ms(a.gap))
	case globalWindows:
		return "GlobalWindows"
	}
	return "WindowAssigner(unset)"
}

// merging reports whether windows of a key can merge (sessions).
func (a WindowAssigner) merging() bool { return a.kind == sessionWindows }

// fixedSize reports whether every window has the same length (size),
// which lets a timer's time name its window.
func (a WindowAssigner) fixedSize() bool {
	return a.kind == tumblingWindows || a.kind == slidingWindows
}

// startOf is the start of the window of length slide holding ts, shifted by
// the offset (Flink's TimeWindow.getWindowStartWithOffset, with a floored
// modulo so that negative timestamps work too).
func (a WindowAssigner) startOf(ts int64) int64 {
	r := (ts - a.offset) % a.slide
	if r < 0 {
		r += a.slide
	}
	return ts - r
}

// assign appends the windows of a record at ts to dst.
func (a WindowAssigner) assign(ts int64, dst []TimeWindow) []TimeWindow {
	switch a.kind {
	case tumblingWindows:
		s := a.startOf(ts)
		return append(dst, TimeWindow{Start: s, End: s + a.size})
	case slidingWindows:
		// The latest window first, as Flink lists them.
		for s := a.startOf(ts); s > ts-a.size; s -= a.slide {
			dst = append(dst, TimeWindow{Start: s, End: s + a.size})
		}
		return dst
	case sessionWindows:
		return append(dst, TimeWindow{Start: ts, End: ts + a.gap})
	default:
		return append(dst, globalWindow)
	}
}

type triggerKind uint8

const (
	triggerDefault triggerKind = iota
	triggerEventTime
	triggerProcessingTime
	triggerCount
)

// Trigger decides when a window fires (Flink's Trigger). The zero Trigger
// is the assigner's default: EventTimeTrigger for event-time windows,
// ProcessingTimeTrigger for processing-time windows; GlobalWindows has
// none. A firing emits the window's current result and keeps its contents
// unless the trigger purges (PurgingTrigger).
type Trigger struct {
	kind  triggerKind
	count int64
	purge bool
}

// EventTimeTrigger fires a window once the watermark reaches its
// MaxTimestamp, and again for every record added to it later (within the
// allowed lateness).
func EventTimeTrigger() Trigger { return Trigger{kind: triggerEventTime} }

// ProcessingTimeTrigger fires a window once the subtask's clock passes its
// MaxTimestamp.
func ProcessingTimeTrigger() Trigger { return Trigger{kind: triggerProcessingTime} }

// CountTrigger fires a window every n records added to it (n, 2n, ...,
// each firing seeing all records so far unless purged).
func CountTrigger(n int64) Trigger { return Trigger{kind: triggerCount, count: n} }

// PurgingTrigger makes t clear the window's contents after each firing.
func PurgingTrigger(t Trigger) Trigger { t.purge = true; return t }

// String names the trigger as Flink does.
func (t Trigger) String() string {
	var s string
	switch t.kind {
	case triggerEventTime:
		s = "EventTimeTrigger()"
	case triggerProcessingTime:
		s = "ProcessingTimeTrigger()"
	case triggerCount:
		s = fmt.Sprintf("CountTrigger(%d)", t.count)
	default:
		s = "DefaultTrigger()"
	}
	if t.purge {
		s = "PurgingTrigger(" + s + ")"
	}
	return s
}

// domain is the time domain of the trigger's timers; ok is false for a
// trigger without timers (count).
func (t Trigger) domain() (TimeDomain, bool) {
	switch t.kind {
	case triggerEventTime:
		return EventTime, true
	case triggerProcessingTime:
		return ProcessingTime, true
	}
	return 0, false
}

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
	if assigner.kind == 0 {
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
	if t.kind == triggerCount && t.count <= 0 && ws.err == nil {
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

// windowFuncs are a window operator's functions over its accumulator: a
// list of records, a reduced record, or an aggregator's accumulator.
type windowFuncs[K comparable, T, ACC, OUT any] struct {
	// add folds v into acc (ok is false for a window's first record).
	add func(acc ACC, ok bool, v T) (ACC, error)
	// merge combines the accumulators of merging windows; nil if it cannot.
	merge func(a, b ACC) (ACC, error)
	// emit computes a firing's output.
	emit func(ctx WindowContext[K], acc ACC, out Collector[OUT]) error
}

// windowSpec is a window operator's resolved configuration.
type windowSpec struct {
	assigner WindowAssigner
	trigger  Trigger
	lateness int64
}

// resolve checks the combination and fills in the default trigger.
func (ws WindowedStream[K, T]) resolve(canMerge bool) (windowSpec, error) {
	s := windowSpec{assigner: ws.assigner, trigger: ws.trigger, lateness: ws.lateness}
	if ws.err != nil {
		return s, ws.err
	}
	if s.trigger.kind == triggerDefault {
		switch {
		case s.assigner.kind == globalWindows:
			return s, errors.New("GlobalWindows never fire by themselves: set a trigger, e.g. .Trigger(weir.CountTrigger(n)), or use weir.CountWindow")
		case s.assigner.eventTime:
			s.trigger.kind = triggerEventTime
		default:
			s.trigger.kind = triggerProcessingTime
		}
	}
	if !s.assigner.eventTime {
		s.lateness = 0
	}
	if s.assigner.merging() && !canMerge {
		return s, fmt.Errorf("%v merge windows, so the aggregator must implement weir.AccumulatorMerger", s.assigner)
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
	return keyedInput(ws.ks, name, func(ctx *operator.Context, b *state.KeyedBackend[K], out operator.Output[OUT]) (operator.Output[T], operator.Operator, error) {
		op, err := newWindowOp(ctx, b, spec, ws.ks.key, fns, out)
		if err != nil {
			return nil, nil, err
		}
		if hasLate {
			op.late = operator.SideOutput[T](ctx, lateTag)
		}
		return op, op, nil
	})
}
