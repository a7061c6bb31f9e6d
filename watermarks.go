package weir

import (
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/operator"
)

// WatermarkGenerator decides a stream's watermarks from the timestamps it
// sees (Flink's WatermarkGenerator): OnEvent sees each record's timestamp
// and may return a watermark at once (punctuated), OnPeriodicEmit is called
// every pipeline.auto-watermark-interval. One instance per subtask, or per
// source split with FromSourceWithWatermarks, called on the subtask's
// goroutine. A returned watermark is passed on only if it moves event time
// forward.
type WatermarkGenerator = operator.WatermarkGenerator

// WatermarkStrategy says how a stream's records get their event time and
// its watermarks (Flink's WatermarkStrategy). Timestamps are milliseconds.
type WatermarkStrategy[T any] struct {
	timestamp func(T) int64
	newGen    func() WatermarkGenerator
	idleness  time.Duration
}

// ForBoundedOutOfOrderness: records may arrive up to maxOutOfOrderness
// late; the watermark trails the highest timestamp seen by that much (minus
// 1 ms, as Flink's BoundedOutOfOrdernessWatermarks).
func ForBoundedOutOfOrderness[T any](maxOutOfOrderness time.Duration, timestamp func(T) int64) WatermarkStrategy[T] {
	delay := maxOutOfOrderness.Milliseconds()
	return WatermarkStrategy[T]{timestamp: timestamp, newGen: func() WatermarkGenerator {
		return &boundedOutOfOrderness{delay: delay, max: operator.MinWatermark + delay + 1}
	}}
}

// ForMonotonousTimestamps: timestamps never decrease; the watermark is the
// highest timestamp seen minus 1 ms.
func ForMonotonousTimestamps[T any](timestamp func(T) int64) WatermarkStrategy[T] {
	return ForBoundedOutOfOrderness(0, timestamp)
}

// ForGenerator uses a custom generator, one per subtask (or per source
// split) from newGen.
func ForGenerator[T any](timestamp func(T) int64, newGen func() WatermarkGenerator) WatermarkStrategy[T] {
	return WatermarkStrategy[T]{timestamp: timestamp, newGen: newGen}
}

// WithIdleness marks a subtask's stream idle after d without records, so
// that it does not hold event time back downstream; it becomes active
// again with its next record. With per-split watermarks
// (FromSourceWithWatermarks) each split is idle on its own, and the
// subtask's stream only when all its splits are.
func (s WatermarkStrategy[T]) WithIdleness(d time.Duration) WatermarkStrategy[T] {
	s.idleness = d
	return s
}

type boundedOutOfOrderness struct{ delay, max int64 }

func (b *boundedOutOfOrderness) OnEvent(ts int64) (int64, bool) {
	b.max = max(b.max, ts)
	return 0, false
}

func (b *boundedOutOfOrderness) OnPeriodicEmit() (int64, bool) {
	return b.max - b.delay - 1, true
}

// FromSourceWithWatermarks declares a source that gives its records their
// event time and emits watermarks by strategy itself (Flink's
// env.fromSource(source, strategy, name)), every
// pipeline.auto-watermark-interval; no AssignTimestampsAndWatermarks is
// needed after it.
//
// When the source's reader reports the split of each record
// (connector.SplitFetcher, as the file and datagen sources do), each split
// has its own generator and the subtask's watermark is the minimum over its
// splits that are neither idle nor finished, so that how the reader
// interleaves its splits does not make records late: a record is late only
// if it is late within its own split, or its split starts behind the
// watermark (a split counts from its first record on). Readers that report
// no splits get one generator per subtask, as AssignTimestampsAndWatermarks
// chained to the source.
func FromSourceWithWatermarks[T any](e *Environment, src Source[T], name string, strategy WatermarkStrategy[T]) DataStream[T] {
	s := FromSource(e, src, name)
	s.node.Impl.(*operator.SourceNode[T]).Watermarks = &operator.SourceWatermarks[T]{
		Timestamp:    strategy.timestamp,
		NewGenerator: strategy.newGen,
		Idleness:     strategy.idleness,
		Interval:     config.Get(e.cfg, config.AutoWatermarkInterval),
	}
	return s
}

// AssignTimestampsAndWatermarks gives every record of s its event time and
// emits watermarks by strategy, every pipeline.auto-watermark-interval.
// Watermarks from upstream are not passed on, except the end of event time
// when the input ends.
func AssignTimestampsAndWatermarks[T any](s DataStream[T], strategy WatermarkStrategy[T]) DataStream[T] {
	interval := config.Get(s.env.cfg, config.AutoWatermarkInterval)
	params := operator.SourceWatermarks[T]{Timestamp: strategy.timestamp, NewGenerator: strategy.newGen, Idleness: strategy.idleness, Interval: interval}
	return oneInput(s, "Timestamps/Watermarks", false, s.edge(), func(ctx *operator.Context, out operator.Output[T]) (operator.Output[T], operator.Operator, error) {
		in, op := operator.NewWatermarkAssigner(ctx, params, out)
		return in, op, nil
	})
}
