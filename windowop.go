package weir

import (
	"cmp"
	"errors"
	"math"
	"slices"

	"github.com/weirstream/weir/operator"
	"github.com/weirstream/weir/state"
)

// errNoTimestamp fails an event-time window or join fed records without
// event time.
var errNoTimestamp = errors.New("record has no event timestamp: event-time windows and joins need AssignTimestampsAndWatermarks upstream")

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
	keyedSnapshots[K]
	name string
	octx *operator.Context
	b    *state.KeyedBackend[K]
	key  func(T) K
	spec windowSpec
	fns  windowFuncs[K, T, ACC, OUT]

	contents state.MapState[TimeWindow, ACC]
	counts   state.MapState[TimeWindow, int64]
	sessions state.ValueState[[]TimeWindow]
	timers   *keyedTimers[K]
	onEvent  func(ts int64) error

	watermark int64
	out       collector[OUT]
	// late receives records too late for every window; nil when no one
	// reads the late side output, and then they are counted in
	// lateDropped.
	late        operator.Output[T]
	lateDropped int64
	buf, tbuf   []TimeWindow
}

func newWindowOp[K comparable, T, ACC, OUT any](ctx *operator.Context, b *state.KeyedBackend[K], spec windowSpec, key func(T) K,
	fns windowFuncs[K, T, ACC, OUT], out operator.Output[OUT]) (*windowOp[K, T, ACC, OUT], error) {
	contents, err := state.GetMapState[K, TimeWindow, ACC](b, "window-contents")
	if err != nil {
		return nil, err
	}
	o := &windowOp[K, T, ACC, OUT]{keyedSnapshots: keyedSnapshots[K]{b}, name: ctx.Node.Name, octx: ctx, b: b, key: key, spec: spec, fns: fns,
		contents: contents, out: collector[OUT]{out: out}, watermark: operator.MinWatermark}
	if spec.trigger.kind == triggerCount {
		if o.counts, err = state.GetMapState[K, TimeWindow, int64](b, "window-counts"); err != nil {
			return nil, err
		}
	}
	if spec.assigner.merging() {
		if o.sessions, err = state.GetValueState[K, []TimeWindow](b, "window-set"); err != nil {
			return nil, err
		}
	}
	if o.timers, err = newKeyedTimers(ctx, b, 1); err != nil {
		return nil, err
	}
	o.timers.onProc = func(ts int64) error { return o.onTimer(ts, ProcessingTime) }
	o.onEvent = func(ts int64) error { return o.onTimer(ts, EventTime) }
	return o, nil
}

func (o *windowOp[K, T, ACC, OUT]) fail(err error) error {
	return operator.WrapOperatorError(o.name, err)
}

func (o *windowOp[K, T, ACC, OUT]) Open() error {
	o.timers.schedule() // restored processing-time timers
	return nil
}

// Finish fires the processing-time windows still open: the end of the
// input ends processing time for the job as it ends event time (where
// Flink's streaming mode would drop them).
func (o *windowOp[K, T, ACC, OUT]) Finish() error {
	return o.timers.fireProc(math.MaxInt64)
}

func (o *windowOp[K, T, ACC, OUT]) Close() error {
	o.timers.close()
	if o.lateDropped > 0 {
		o.octx.Logger.Warn("late records dropped: they came after their windows were cleared, and no late side output takes them",
			"subtask", o.octx.Subtask, "numLateRecordsDropped", o.lateDropped)
	}
	return nil
}

// Collect assigns v to its windows and runs their triggers.
func (o *windowOp[K, T, ACC, OUT]) Collect(v T) error {
	if err := o.b.SetCurrentKey(o.key(v)); err != nil {
		return o.fail(err)
	}
	var ts int64
	if o.spec.assigner.eventTime {
		rc := o.octx.Record
		if !rc.HasTimestamp {
			return o.fail(errNoTimestamp)
		}
		ts = rc.Timestamp
	} else {
		ts = o.timers.now()
	}
	if o.spec.assigner.merging() {
		return o.addMerging(v, ts)
	}
	o.buf = o.spec.assigner.assign(ts, o.buf[:0])
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
	if o.spec.assigner.eventTime {
		return saturatingAdd(w.MaxTimestamp(), o.spec.lateness)
	}
	return w.MaxTimestamp()
}

// isWindowLate: w's state was (or would have been) cleared already.
func (o *windowOp[K, T, ACC, OUT]) isWindowLate(w TimeWindow) bool {
	return o.spec.assigner.eventTime && o.cleanupTime(w) <= o.watermark
}

// isElementLate: a record at ts is later than the allowed lateness.
func (o *windowOp[K, T, ACC, OUT]) isElementLate(ts int64) bool {
	return o.spec.assigner.eventTime && saturatingAdd(ts, o.spec.lateness) <= o.watermark
}

func (o *windowOp[K, T, ACC, OUT]) lateRecord(v T) error {
	if o.late != nil {
		return o.late.Collect(v) // with the record's own timestamp
	}
	o.lateDropped++
	return nil
}

// addTo adds v to w, runs the trigger and registers w's cleanup.
func (o *windowOp[K, T, ACC, OUT]) addTo(w TimeWindow, v T) error {
	acc, ok, err := o.contents.Get(w)
	if err != nil {
		return o.fail(err)
	}
	if acc, err = o.fns.add(acc, ok, v); err != nil {
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
	fresh := !ok || o.spec.assigner.merging()
	fire := false
	switch o.spec.trigger.kind {
	case triggerEventTime:
		if w.MaxTimestamp() <= o.watermark {
			fire = true // a late record within the allowed lateness
		} else if fresh {
			if err := o.timers.event.Register(w.MaxTimestamp()); err != nil {
				return o.fail(err)
			}
		}
	case triggerProcessingTime:
		if err := o.timers.registerProc(w.MaxTimestamp()); err != nil {
			return o.fail(err)
		}
	case triggerCount:
		n, _, err := o.counts.Get(w)
		if err == nil {
			if n++; n >= o.spec.trigger.count {
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
	if !fresh || o.spec.trigger.kind == triggerEventTime && o.cleanupTime(w) == w.MaxTimestamp() && !fire {
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
	if o.spec.assigner.eventTime {
		err = o.timers.event.Register(ct)
	} else {
		err = o.timers.registerProc(ct)
	}
	return o.fail(err)
}

// fire emits w's result, every record stamped w.MaxTimestamp(), and purges
// w if the trigger says so.
func (o *windowOp[K, T, ACC, OUT]) fire(w TimeWindow, acc ACC) error {
	rc := o.octx.Record
	saved := *rc
	rc.Timestamp, rc.HasTimestamp = w.MaxTimestamp(), true
	err := o.fns.emit(WindowContext[K]{Key: o.b.CurrentKey(), Window: w, Watermark: o.watermark}, acc, &o.out)
	*rc = saved
	if err != nil {
		return o.fail(err)
	}
	if err := o.out.err; err != nil {
		o.out.err = nil
		return err
	}
	if o.spec.trigger.purge {
		return o.fail(o.contents.Remove(w))
	}
	return nil
}

// addMerging adds v at ts with a merging assigner: the new window merges
// with every window of the key it overlaps or touches (Flink's
// MergingWindowSet, without the indirection to a state window: the merged
// accumulators move to the merged window).
func (o *windowOp[K, T, ACC, OUT]) addMerging(v T, ts int64) error {
	o.buf = o.spec.assigner.assign(ts, o.buf[:0])
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
				if acc, err = o.fns.merge(acc, a); err != nil {
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
	switch o.spec.trigger.kind {
	case triggerEventTime:
		if merged.MaxTimestamp() > o.watermark {
			return o.fail(o.timers.event.Register(merged.MaxTimestamp()))
		}
	case triggerProcessingTime:
		return o.fail(o.timers.registerProc(merged.MaxTimestamp()))
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
	a := o.spec.assigner
	switch {
	case a.fixedSize():
		if t == math.MaxInt64 {
			return nil, nil
		}
		// The window that ends at t+1 (firing), and the one whose cleanup
		// time is t.
		o.tbuf = append(o.tbuf[:0], TimeWindow{Start: t + 1 - a.size, End: t + 1})
		if a.eventTime && o.spec.lateness > 0 {
			e := t + 1 - o.spec.lateness
			o.tbuf = append(o.tbuf, TimeWindow{Start: e - a.size, End: e})
		}
		return o.tbuf, nil
	case a.merging():
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
	td, timed := o.spec.trigger.domain()
	ad := ProcessingTime
	if o.spec.assigner.eventTime {
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
func (o *windowOp[K, T, ACC, OUT]) EmitWatermark(wm operator.Watermark) error {
	if !wm.Idle && wm.Time > o.watermark {
		o.watermark = wm.Time
		if err := fireQueue(o.name, o.timers.event, wm.Time, o.onEvent); err != nil {
			return err
		}
	}
	return forwardWatermark(o.octx, o.out.out, wm)
}
