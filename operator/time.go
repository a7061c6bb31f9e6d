package operator

import (
	"math"
	"time"
)

// Watermark says event time has reached Time: every record with a
// timestamp at or before Time has been emitted (except late ones). A
// watermark with Idle set says the stream has had no data for a while and
// must not hold event time back downstream until data flows again.
// Watermarks travel in-band, in order with the records.
type Watermark struct {
	Time int64
	Idle bool
}

const (
	// MinWatermark is event time before any watermark.
	MinWatermark int64 = math.MinInt64
	// MaxWatermark ends event time: a source emits it when its input
	// ends, so every event-time timer fires.
	MaxWatermark int64 = math.MaxInt64
)

// RecordContext is the event timestamp of the record being processed. One
// per subtask, shared by its chain: the runtime sets it before handing a
// record to the head, an operator that assigns or changes timestamps sets
// it before emitting, and writers carry it across the network.
type RecordContext struct {
	Timestamp    int64
	HasTimestamp bool
}

// ProcessingTimeService schedules work on the subtask's goroutine.
type ProcessingTimeService interface {
	Now() time.Time
	// At runs f on the subtask's goroutine at t or soon after; the
	// returned function cancels it if it has not run yet.
	At(t time.Time, f func() error) (cancel func())
}

// Clock is where a job's processing time comes from: what
// ProcessingTimeService.Now reads and what its timers wait on. runtime.JobSpec.Clock
// nil means the system clock; tests set one that moves only when they say
// (internal/testutil.ManualClock), so that they can show a timer has not
// fired without sleeping.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f, on a goroutine of the clock's, once the clock
	// has reached t; f must not block. stop keeps f from being called if
	// it has not been yet, and reports whether it did so.
	AfterFunc(t time.Time, f func()) (stop func() bool)
}

// WatermarkGenerator decides watermarks from the timestamps of one stream of
// records (Flink's WatermarkGenerator). An instance serves one subtask, or
// one split of a source subtask, and is only called on that subtask's
// goroutine. A returned watermark is passed on only if it moves event time
// forward.
type WatermarkGenerator interface {
	// OnEvent sees each record's timestamp; it may return a watermark to
	// emit at once (punctuated watermarks).
	OnEvent(ts int64) (wm int64, emit bool)
	// OnPeriodicEmit is called every pipeline.auto-watermark-interval.
	OnPeriodicEmit() (wm int64, emit bool)
}

// SourceWatermarks makes a source give its records their event time and
// emit watermarks itself, instead of an operator after it. Set it in
// SourceNode.Watermarks.
//
// When the source's reader implements connector.SplitFetcher, the source keeps one
// generator per split and emits the minimum of the splits' watermarks (see
// connector.SplitFetcher); otherwise one generator serves the whole subtask.
type SourceWatermarks[T any] struct {
	// Timestamp gives a record its event time, in milliseconds.
	Timestamp func(T) int64
	// NewGenerator returns a fresh generator for a split or a subtask.
	NewGenerator func() WatermarkGenerator
	// Idleness, when positive, marks a split idle once it has had no
	// records for that long, so that it does not hold event time back; its
	// next record makes it active again. Idleness is checked at each
	// periodic emission, so it needs a positive Interval.
	Idleness time.Duration
	// Interval is how often generators are asked for a periodic watermark
	// (pipeline.auto-watermark-interval); 0 turns periodic emission off.
	Interval time.Duration
}
