package operator

import "sync/atomic"

// Metrics are one operator instance's own figures: those of Flink's
// operator scope (OperatorMetricGroup) that no runtime counter already
// gives. An operator registers what it has, on its subtask's goroutine;
// the runtime reads them from any goroutine while the job runs (Snapshot),
// and exports only the registered ones, as Flink's reporters see only the
// metrics an operator registered.
//
// Every figure is one atomic word written where it changes: late records
// are rare, and a source's pending count changes once per fetched batch,
// so nothing is added per record on the record path.
type Metrics struct {
	// lateRecordsDropped is -1 until registered.
	lateRecordsDropped atomic.Int64
	// pendingRecords and pendingBytes are -1 while unknown.
	pendingRecords, pendingBytes atomic.Int64
}

// NewMetrics returns an operator's metrics with none registered.
func NewMetrics() *Metrics {
	m := &Metrics{}
	m.lateRecordsDropped.Store(-1)
	m.pendingRecords.Store(-1)
	m.pendingBytes.Store(-1)
	return m
}

// LateRecordsDropped registers Flink's numLateRecordsDropped counter
// (WindowOperator's LATE_ELEMENTS_DROPPED_METRIC_NAME) and returns it: the
// records the operator dropped because they came too late, which the
// operator adds to itself. Registering twice returns the same counter.
func (m *Metrics) LateRecordsDropped() *atomic.Int64 {
	m.lateRecordsDropped.CompareAndSwap(-1, 0)
	return &m.lateRecordsDropped
}

// SetPending publishes a source reader's FLIP-33 gauges (Flink's
// SourceReaderMetricGroup.setPendingRecordsGauge/setPendingBytesGauge):
// the records, or the bytes, its input still holds that it has not
// fetched; a negative figure is unknown and is not exported.
func (m *Metrics) SetPending(records, bytes int64) {
	m.pendingRecords.Store(max(records, -1))
	m.pendingBytes.Store(max(bytes, -1))
}

// MetricsSnapshot is what Snapshot read: a figure below 0 is not
// registered or not known.
type MetricsSnapshot struct {
	LateRecordsDropped           int64
	PendingRecords, PendingBytes int64
}

// Snapshot reads the figures; m may be nil (an operator the runtime did
// not build), and then none is registered.
func (m *Metrics) Snapshot() MetricsSnapshot {
	if m == nil {
		return MetricsSnapshot{-1, -1, -1}
	}
	return MetricsSnapshot{m.lateRecordsDropped.Load(), m.pendingRecords.Load(), m.pendingBytes.Load()}
}

// OperatorMetrics returns the operator instance's metrics: those the
// runtime set in c.Metrics, or, for a Context built elsewhere (a test
// harness), ones made on first use that nobody exports.
func (c *Context) OperatorMetrics() *Metrics {
	if c.Metrics == nil {
		c.Metrics = NewMetrics()
	}
	return c.Metrics
}
