package operator

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"time"

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

// AssignerKind is the family of a window assigner.
type AssignerKind uint8

const (
	TumblingWindows AssignerKind = iota + 1
	SlidingWindows
	SessionWindows
	GlobalWindows
)

// Assigner is a window assigner's parameters (the API's WindowAssigner
// holds one): which windows a record at a given time belongs to.
type Assigner struct {
	Kind      AssignerKind
	EventTime bool
	// Size and Slide (tumbling, sliding), Offset, Gap (sessions), in ms.
	Size, Slide, Offset, Gap int64
}

// String names the assigner as Flink does, with its parameters.
func (a Assigner) String() string {
	domain := "ProcessingTime"
	if a.EventTime {
		domain = "EventTime"
	}
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	off := ""
	if a.Offset != 0 {
		off = fmt.Sprintf(", offset %v", ms(a.Offset))
	}
	switch a.Kind {
	case TumblingWindows:
		return fmt.Sprintf("Tumbling%sWindows(%v%s)", domain, ms(a.Size), off)
	case SlidingWindows:
		return fmt.Sprintf("Sliding%sWindows(%v, %v%s)", domain, ms(a.Size), ms(a.Slide), off)
	case SessionWindows:
		return fmt.Sprintf("%sSessionWindows(%v)", domain, ms(a.Gap))
	case GlobalWindows:
		return "GlobalWindows"
	}
	return "WindowAssigner(unset)"
}

// Merging reports whether windows of a key can merge (sessions).
func (a Assigner) Merging() bool { return a.Kind == SessionWindows }

// FixedSize reports whether every window has the same length (size),
// which lets a timer's time name its window.
func (a Assigner) FixedSize() bool {
	return a.Kind == TumblingWindows || a.Kind == SlidingWindows
}

// startOf is the start of the window of length slide holding ts, shifted by
// the offset (Flink's TimeWindow.getWindowStartWithOffset, with a floored
// modulo so that negative timestamps work too).
func (a Assigner) startOf(ts int64) int64 {
	r := (ts - a.Offset) % a.Slide
	if r < 0 {
		r += a.Slide
	}
	return ts - r
}

// Assign appends the windows of a record at ts to dst.
func (a Assigner) Assign(ts int64, dst []TimeWindow) []TimeWindow {
	switch a.Kind {
	case TumblingWindows:
		s := a.startOf(ts)
		return append(dst, TimeWindow{Start: s, End: s + a.Size})
	case SlidingWindows:
		// The latest window first, as Flink lists them.
		for s := a.startOf(ts); s > ts-a.Size; s -= a.Slide {
			dst = append(dst, TimeWindow{Start: s, End: s + a.Size})
		}
		return dst
	case SessionWindows:
		return append(dst, TimeWindow{Start: ts, End: ts + a.Gap})
	default:
		return append(dst, globalWindow)
	}
}

// TriggerKind is the kind of a window trigger.
type TriggerKind uint8

const (
	TriggerDefault TriggerKind = iota
	TriggerEventTime
	TriggerProcessingTime
	TriggerCount
)

// Trigger is a window trigger's parameters (the API's Trigger holds one).
type Trigger struct {
	Kind  TriggerKind
	Count int64
	Purge bool
}

// String names the trigger as Flink does.
func (t Trigger) String() string {
	var s string
	switch t.Kind {
	case TriggerEventTime:
		s = "EventTimeTrigger()"
	case TriggerProcessingTime:
		s = "ProcessingTimeTrigger()"
	case TriggerCount:
		s = fmt.Sprintf("CountTrigger(%d)", t.Count)
	default:
		s = "DefaultTrigger()"
	}
	if t.Purge {
		s = "PurgingTrigger(" + s + ")"
	}
	return s
}

// Domain is the time domain of the trigger's timers; ok is false for a
// trigger without timers (count).
func (t Trigger) Domain() (TimeDomain, bool) {
	switch t.Kind {
	case TriggerEventTime:
		return EventTime, true
	case TriggerProcessingTime:
		return ProcessingTime, true
	}
	return 0, false
}

// WindowFuncs are a window operator's functions over its accumulator: a
// list of records, a reduced record, or an aggregator's accumulator.
type WindowFuncs[K comparable, T, ACC, OUT any] struct {
	// Add folds v into acc (ok is false for a window's first record).
	Add func(acc ACC, ok bool, v T) (ACC, error)
	// Merge combines the accumulators of merging windows; nil if it cannot.
	Merge func(a, b ACC) (ACC, error)
	// Emit computes a firing's output for the key's window w (watermark
	// is the operator's event time) and collects it into out.
	Emit func(key K, w TimeWindow, watermark int64, acc ACC, out *Emitter[OUT]) error
}

// WindowSpec is a window operator's resolved configuration.
type WindowSpec struct {
	Assigner Assigner
	Trigger  Trigger
	Lateness int64 // ms
}

// Collector receives the records a user function emits (the API's
// Collector). Emitter implements it over an Output.
type Collector[T any] interface {
	Collect(v T)
}

// Emitter collects a function's output records into an Output, keeping
// the first error for the operator to return after the function (the
// API's Collector has no error to return).
type Emitter[T any] struct {
	Out Output[T]
	Err error
}

// Collect passes v on unless an earlier record failed.
func (e *Emitter[T]) Collect(v T) {
	if e.Err == nil {
		e.Err = e.Out.Collect(v)
	}
}

// ForwardWatermark forwards wm to an operator's side outputs, then to its
// main output out.
func ForwardWatermark[O any](ctx *Context, out Output[O], wm Watermark) error {
	for _, o := range ctx.SideOutputs {
		if err := o.(interface {
			EmitWatermark(Watermark) error
		}).EmitWatermark(wm); err != nil {
			return err
		}
	}
	return out.EmitWatermark(wm)
}

// ErrNoTimestamp fails an event-time window or join fed records without
// event time.
var ErrNoTimestamp = errors.New("record has no event timestamp: event-time windows and joins need AssignTimestampsAndWatermarks upstream")

// windowOp is the window operator (Flink's WindowOperator), with its state
// in the keyed backend so that checkpoints and rescaling carry it:
//
//   - "window-contents", a map per key from window to accumulator (a list
//     of records, a reduced record or an aggregator's accumulator);
//   - "window-counts", per key and window, for count triggers;
//   - "window-set", per key, the key's windows, for merging (session)
//     assigners;
//   - the timer queues "event" and "processing" (state.TimerQueue), one
//     timer per key and time.
//
// Timers are per key and time, not per window, so a timer only says "look
// at this key at this time": onTimer works out which windows of the key
// are due (for fixed-size windows the time names them, for sessions the
// window set lists them) and fires or clears those. A timer left behind by
// a window that merged into another finds nothing to do.
type windowOp[K comparable, T, ACC, OUT any] struct {
	KeyedSnapshots[K]
	name string
	octx *Context
	b    *state.KeyedBackend[K]
	key  func(T) K
	spec WindowSpec
	fns  WindowFuncs[K, T, ACC, OUT]

	contents state.MapState[TimeWindow, ACC]
	counts   state.MapState[TimeWindow, int64]
	sessions state.ValueState[[]TimeWindow]
	timers   *KeyedTimers[K]
	onEvent  func(ts int64) error

	watermark int64
	out       Emitter[OUT]
	// late receives records too late for every window; nil when no one
	// reads the late side output, and then they are counted in
	// lateDropped, the operator's numLateRecordsDropped.
	late        Output[T]
	lateDropped *atomic.Int64
	buf, tbuf   []TimeWindow
}

// NewWindowOp makes the window operator of one subtask: it assigns each
// record to its windows by spec, folds it into their accumulators with
// fns and emits each firing's output to out; records too late for every
// window go to late, or are counted and dropped when late is nil. It
// returns the operator's input and the operator.
func NewWindowOp[K comparable, T, ACC, OUT any](ctx *Context, b *state.KeyedBackend[K], spec WindowSpec, key func(T) K,
	fns WindowFuncs[K, T, ACC, OUT], out Output[OUT], late Output[T]) (Output[T], Operator, error) {
	o, err := newWindowOp(ctx, b, spec, key, fns, out)
	if err != nil {
		return nil, nil, err
	}
	o.late = late
	return o, o, nil
}

func newWindowOp[K comparable, T, ACC, OUT any](ctx *Context, b *state.KeyedBackend[K], spec WindowSpec, key func(T) K,
	fns WindowFuncs[K, T, ACC, OUT], out Output[OUT]) (*windowOp[K, T, ACC, OUT], error) {
	contents, err := state.GetMapState[K, TimeWindow, ACC](b, "window-contents")
	if err != nil {
		return nil, err
	}
	o := &windowOp[K, T, ACC, OUT]{KeyedSnapshots: KeyedSnapshots[K]{B: b}, name: ctx.Node.Name, octx: ctx, b: b, key: key, spec: spec, fns: fns,
		contents: contents, out: Emitter[OUT]{Out: out}, watermark: MinWatermark,
		lateDropped: ctx.OperatorMetrics().LateRecordsDropped()}
	if spec.Trigger.Kind == TriggerCount {
		if o.counts, err = state.GetMapState[K, TimeWindow, int64](b, "window-counts"); err != nil {
			return nil, err
		}
	}
	if spec.Assigner.Merging() {
		if o.sessions, err = state.GetValueState[K, []TimeWindow](b, "window-set"); err != nil {
			return nil, err
		}
	}
	if o.timers, err = NewKeyedTimers(ctx, b, 1); err != nil {
		return nil, err
	}
	o.timers.OnProc = func(ts int64) error { return o.onTimer(ts, ProcessingTime) }
	o.onEvent = func(ts int64) error { return o.onTimer(ts, EventTime) }
	return o, nil
}

// CurrentWatermark is the operator's event time.
func (o *windowOp[K, T, ACC, OUT]) CurrentWatermark() int64 { return o.watermark }

func (o *windowOp[K, T, ACC, OUT]) fail(err error) error {
	return WrapOperatorError(o.name, err)
}

func (o *windowOp[K, T, ACC, OUT]) Open() error {
	o.timers.Schedule() // restored processing-time timers
	return nil
}

// Finish fires the processing-time windows still open: the end of the
// input ends processing time for the job as it ends event time (where
// Flink's streaming mode would drop them).
func (o *windowOp[K, T, ACC, OUT]) Finish() error {
	return o.timers.FireProc(math.MaxInt64)
}

func (o *windowOp[K, T, ACC, OUT]) Close() error {
	o.timers.Close()
	if n := o.lateDropped.Load(); n > 0 {
		o.octx.Logger.Warn("late records dropped: they came after their windows were cleared, and no late side output takes them",
			"subtask", o.octx.Subtask, "numLateRecordsDropped", n)
	}
	return nil
}

// Collect assigns v to its windows and runs their triggers.
func (o *windowOp[K, T, ACC, OUT]) Collect(v T) error {
	if err := o.b.SetCurrentKey(o.key(v)); err != nil {
		return o.fail(err)
	}
	var ts int64
	if o.spec.Assigner.EventTime {
		rc := o.octx.Record
		if !rc.HasTimestamp {
			return o.fail(ErrNoTimestamp)
		}
		ts = rc.Timestamp
	} else {
		ts = o.timers.Now()
	}
	if o.spec.Assigner.Merging() {
		return o.addMerging(v, ts)
	}
	o.buf = o.spec.Assigner.Assign(ts, o.buf[:0])
	skipped := true
	for _, w := range o.buf {
		if o.isWindowLate(w) {
			continue
		}
		skipped = false
		if err := o.addTo(w, v); err != nil {
			return err
		}
	}
	if skipped && o.isElementLate(ts) {
		return o.lateRecord(v)
	}
	return nil
}

// cleanupTime is when w's state goes: MaxTimestamp plus the allowed
// lateness in event time, MaxTimestamp in processing time; MaxInt64 means
// never (the global window).
func (o *windowOp[K, T, ACC, OUT]) cleanupTime(w TimeWindow) int64 {
	if o.spec.Assigner.EventTime {
		return SaturatingAdd(w.MaxTimestamp(), o.spec.Lateness)
	}
	return w.MaxTimestamp()
}

// isWindowLate: w's state was (or would have been) cleared already.
func (o *windowOp[K, T, ACC, OUT]) isWindowLate(w TimeWindow) bool {
	return o.spec.Assigner.EventTime && o.cleanupTime(w) <= o.watermark
}

// isElementLate: a record at ts is later than the allowed lateness.
func (o *windowOp[K, T, ACC, OUT]) isElementLate(ts int64) bool {
	return o.spec.Assigner.EventTime && SaturatingAdd(ts, o.spec.Lateness) <= o.watermark
}

func (o *windowOp[K, T, ACC, OUT]) lateRecord(v T) error {
	if o.late != nil {
		return o.late.Collect(v) // with the record's own timestamp
	}
	o.lateDropped.Add(1)
	return nil
}

// addTo adds v to w, runs the trigger and registers w's cleanup.
func (o *windowOp[K, T, ACC, OUT]) addTo(w TimeWindow, v T) error {
	acc, ok, err := o.contents.Get(w)
	if err != nil {
		return o.fail(err)
	}
	if acc, err = o.fns.Add(acc, ok, v); err != nil {
		return o.fail(err)
	}
	if err := o.contents.Put(w, acc); err != nil {
		return o.fail(err)
	}
	// A window that already had contents has its event-time and cleanup
	// timers: they go only when they fire, and the window's firing timer
	// firing means the watermark passed it; the cleanup timer clears the
	// contents. Not registering them again saves two lookups per record.
	// (A merged session window is new here: its timers are registered.)
	fresh := !ok || o.spec.Assigner.Merging()
	fire := false
	switch o.spec.Trigger.Kind {
	case TriggerEventTime:
		if w.MaxTimestamp() <= o.watermark {
			fire = true // a late record within the allowed lateness
		} else if fresh {
			if err := o.timers.Event.Register(w.MaxTimestamp()); err != nil {
				return o.fail(err)
			}
		}
	case TriggerProcessingTime:
		if err := o.timers.RegisterProc(w.MaxTimestamp()); err != nil {
			return o.fail(err)
		}
	case TriggerCount:
		n, _, err := o.counts.Get(w)
		if err == nil {
			if n++; n >= o.spec.Trigger.Count {
				fire = true
				err = o.counts.Remove(w)
			} else {
				err = o.counts.Put(w, n)
			}
		}
		if err != nil {
			return o.fail(err)
		}
	}
	if fire {
		if err := o.fire(w, acc); err != nil {
			return err
		}
	}
	if !fresh || o.spec.Trigger.Kind == TriggerEventTime && o.cleanupTime(w) == w.MaxTimestamp() && !fire {
		return nil // registered already, or just now as the firing timer
	}
	return o.registerCleanup(w)
}

func (o *windowOp[K, T, ACC, OUT]) registerCleanup(w TimeWindow) error {
	ct := o.cleanupTime(w)
	if ct == math.MaxInt64 {
		return nil
	}
	var err error
	if o.spec.Assigner.EventTime {
		err = o.timers.Event.Register(ct)
	} else {
		err = o.timers.RegisterProc(ct)
	}
	return o.fail(err)
}

// fire emits w's result, every record stamped w.MaxTimestamp(), and purges
// w if the trigger says so.
func (o *windowOp[K, T, ACC, OUT]) fire(w TimeWindow, acc ACC) error {
	rc := o.octx.Record
	saved := *rc
	rc.Timestamp, rc.HasTimestamp = w.MaxTimestamp(), true
	err := o.fns.Emit(o.b.CurrentKey(), w, o.watermark, acc, &o.out)
	*rc = saved
	if err != nil {
		return o.fail(err)
	}
	if err := o.out.Err; err != nil {
		o.out.Err = nil
		return err
	}
	if o.spec.Trigger.Purge {
		return o.fail(o.contents.Remove(w))
	}
	return nil
}

// addMerging adds v at ts with a merging assigner: the new window merges
// with every window of the key it overlaps or touches (Flink's
// MergingWindowSet, without the indirection to a state window: the merged
// accumulators move to the merged window).
func (o *windowOp[K, T, ACC, OUT]) addMerging(v T, ts int64) error {
	o.buf = o.spec.Assigner.Assign(ts, o.buf[:0])
	nw := o.buf[0]
	set, _, err := o.sessions.Value()
	if err != nil {
		return o.fail(err)
	}
	merged, from := nw, o.tbuf[:0]
	for changed := true; changed; {
		changed = false
		for _, w := range set {
			if w.intersects(merged) && !slices.Contains(from, w) {
				merged, from, changed = merged.cover(w), append(from, w), true
			}
		}
	}
	o.tbuf = from[:0]
	switch {
	case len(from) == 0:
		if o.isWindowLate(merged) {
			if o.isElementLate(ts) {
				return o.lateRecord(v)
			}
			return nil
		}
		if err := o.sessions.Update(insertWindow(set, merged)); err != nil {
			return o.fail(err)
		}
	case len(from) == 1 && from[0] == merged:
		// Inside a window of the key: nothing merges.
	default:
		if err := o.merge(merged, from, set); err != nil {
			return err
		}
	}
	return o.addTo(merged, v)
}

// merge moves the state of the windows from into merged and tells the
// trigger (Flink's Trigger.onMerge). The timers of the windows merged away
// stay: when they fire they find no window due.
func (o *windowOp[K, T, ACC, OUT]) merge(merged TimeWindow, from, set []TimeWindow) error {
	slices.SortFunc(from, func(a, b TimeWindow) int { return cmp.Compare(a.Start, b.Start) })
	var acc ACC
	have := false
	var count int64
	for _, w := range from {
		a, ok, err := o.contents.Get(w)
		if err != nil {
			return o.fail(err)
		}
		if ok {
			if have {
				if acc, err = o.fns.Merge(acc, a); err != nil {
					return o.fail(err)
				}
			} else {
				acc, have = a, true
			}
		}
		if err := o.contents.Remove(w); err != nil {
			return o.fail(err)
		}
		if o.counts != nil {
			n, _, _ := o.counts.Get(w)
			count += n
			if err := o.counts.Remove(w); err != nil {
				return o.fail(err)
			}
		}
	}
	if have {
		if err := o.contents.Put(merged, acc); err != nil {
			return o.fail(err)
		}
	}
	if count > 0 {
		if err := o.counts.Put(merged, count); err != nil {
			return o.fail(err)
		}
	}
	rest := make([]TimeWindow, 0, len(set)+1-len(from))
	for _, w := range set {
		if !slices.Contains(from, w) {
			rest = append(rest, w)
		}
	}
	if err := o.sessions.Update(insertWindow(rest, merged)); err != nil {
		return o.fail(err)
	}
	switch o.spec.Trigger.Kind {
	case TriggerEventTime:
		if merged.MaxTimestamp() > o.watermark {
			return o.fail(o.timers.Event.Register(merged.MaxTimestamp()))
		}
	case TriggerProcessingTime:
		return o.fail(o.timers.RegisterProc(merged.MaxTimestamp()))
	}
	return nil
}

// insertWindow returns a new slice of set with w inserted, by start. State
// values are never changed in place (a snapshot may share them).
func insertWindow(set []TimeWindow, w TimeWindow) []TimeWindow {
	out := make([]TimeWindow, 0, len(set)+1)
	i := 0
	for i < len(set) && set[i].Start < w.Start {
		i++
	}
	out = append(out, set[:i]...)
	out = append(out, w)
	return append(out, set[i:]...)
}

// windowsAt lists the current key's windows a timer at t may concern.
func (o *windowOp[K, T, ACC, OUT]) windowsAt(t int64) ([]TimeWindow, error) {
	a := o.spec.Assigner
	switch {
	case a.FixedSize():
		if t == math.MaxInt64 {
			return nil, nil
		}
		// The window that ends at t+1 (firing), and the one whose cleanup
		// time is t.
		o.tbuf = append(o.tbuf[:0], TimeWindow{Start: t + 1 - a.Size, End: t + 1})
		if a.EventTime && o.spec.Lateness > 0 {
			e := t + 1 - o.spec.Lateness
			o.tbuf = append(o.tbuf, TimeWindow{Start: e - a.Size, End: e})
		}
		return o.tbuf, nil
	case a.Merging():
		set, _, err := o.sessions.Value()
		return set, err
	default:
		return append(o.tbuf[:0], globalWindow), nil
	}
}

// onTimer fires and clears the current key's windows due at t in domain d.
func (o *windowOp[K, T, ACC, OUT]) onTimer(t int64, d TimeDomain) error {
	ws, err := o.windowsAt(t)
	if err != nil {
		return o.fail(err)
	}
	td, timed := o.spec.Trigger.Domain()
	ad := ProcessingTime
	if o.spec.Assigner.EventTime {
		ad = EventTime
	}
	for _, w := range ws {
		if timed && td == d && t == w.MaxTimestamp() {
			acc, ok, err := o.contents.Get(w)
			if err != nil {
				return o.fail(err)
			}
			if ok {
				if err := o.fire(w, acc); err != nil {
					return err
				}
			}
		}
		if ad == d && t == o.cleanupTime(w) {
			if err := o.clear(w); err != nil {
				return err
			}
		}
	}
	return nil
}

// clear drops every state of w.
func (o *windowOp[K, T, ACC, OUT]) clear(w TimeWindow) error {
	if err := o.contents.Remove(w); err != nil {
		return o.fail(err)
	}
	if o.counts != nil {
		if err := o.counts.Remove(w); err != nil {
			return o.fail(err)
		}
	}
	if o.sessions != nil {
		set, _, err := o.sessions.Value()
		if err != nil {
			return o.fail(err)
		}
		if i := slices.Index(set, w); i >= 0 {
			if len(set) == 1 {
				err = o.sessions.Clear()
			} else {
				err = o.sessions.Update(slices.Delete(slices.Clone(set), i, i+1))
			}
			if err != nil {
				return o.fail(err)
			}
		}
	}
	return nil
}

// EmitWatermark fires the windows the watermark completes, in time order,
// then forwards it to the main and side outputs.
func (o *windowOp[K, T, ACC, OUT]) EmitWatermark(wm Watermark) error {
	if !wm.Idle && wm.Time > o.watermark {
		o.watermark = wm.Time
		if err := FireQueue(o.name, o.timers.Event, wm.Time, o.onEvent); err != nil {
			return err
		}
	}
	return ForwardWatermark(o.octx, o.out.Out, wm)
}
