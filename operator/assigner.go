package operator

import "time"

// NewWatermarkAssigner makes the operator that gives each record its event
// time with w.Timestamp and emits watermarks from a generator of
// w.NewGenerator, every w.Interval and as the generator asks; with a
// positive w.Idleness it marks its output idle when no record came for
// that long. Watermarks from upstream are not passed on, except the end
// of event time. It returns the operator's input and the operator.
func NewWatermarkAssigner[T any](ctx *Context, w SourceWatermarks[T], out Output[T]) (Output[T], Operator) {
	a := &assignerOp[T]{ctx: ctx, s: w, out: out, interval: w.Interval, gen: w.NewGenerator(), last: MinWatermark}
	return a, a
}

// assignerOp is the timestamp and watermark assigner (Flink's
// TimestampsAndWatermarksOperator).
type assignerOp[T any] struct {
	ctx      *Context
	s        SourceWatermarks[T]
	out      Output[T]
	gen      WatermarkGenerator
	interval time.Duration
	last     int64 // the last watermark emitted
	// Idleness, as Flink's IdlenessTimer: records counts what arrived, and
	// each periodic emit compares it with the count seen before, so the
	// clock is read once per interval, not once per record.
	records, seen int64
	activeAt      time.Time // when records last moved, as seen by a tick
	idle, done    bool
	cancel        func()
}

func (a *assignerOp[T]) Open() error {
	a.activeAt = a.ctx.Timers.Now()
	if a.interval > 0 {
		a.schedule()
	}
	return nil
}

func (a *assignerOp[T]) schedule() {
	a.cancel = a.ctx.Timers.At(a.ctx.Timers.Now().Add(a.interval), a.tick)
}

func (a *assignerOp[T]) tick() error {
	if a.done {
		return nil
	}
	if wm, ok := a.gen.OnPeriodicEmit(); ok {
		if err := a.emit(wm); err != nil {
			return err
		}
	}
	if a.s.Idleness > 0 {
		now := a.ctx.Timers.Now()
		if a.records != a.seen {
			a.seen, a.activeAt = a.records, now
		} else if !a.idle && now.Sub(a.activeAt) >= a.s.Idleness {
			a.idle = true
			if err := a.out.EmitWatermark(Watermark{Idle: true}); err != nil {
				return err
			}
		}
	}
	a.schedule()
	return nil
}

func (a *assignerOp[T]) emit(wm int64) error {
	if wm <= a.last {
		return nil
	}
	a.last = wm
	return a.out.EmitWatermark(Watermark{Time: wm})
}

func (a *assignerOp[T]) Collect(v T) error {
	ts := a.s.Timestamp(v)
	rc := a.ctx.Record
	rc.Timestamp, rc.HasTimestamp = ts, true
	a.records++
	a.idle = false
	if err := a.out.Collect(v); err != nil {
		return err
	}
	if wm, ok := a.gen.OnEvent(ts); ok {
		return a.emit(wm)
	}
	return nil
}

// EmitWatermark passes on only the end of event time.
func (a *assignerOp[T]) EmitWatermark(wm Watermark) error {
	if wm.Idle || wm.Time != MaxWatermark {
		return nil
	}
	a.done = true
	return a.emit(MaxWatermark)
}

func (a *assignerOp[T]) Finish() error { return nil }

func (a *assignerOp[T]) Close() error {
	if a.cancel != nil {
		a.cancel()
	}
	return nil
}
