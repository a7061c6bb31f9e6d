package connector

// PendingReporter is an optional interface of a SourceReader that knows
// how much of its input it has not fetched yet: FLIP-33's pendingRecords
// gauge, or, where the records are unknown but the bytes are (lines of a
// file), its pendingBytes (Flink's SourceReaderMetricGroup
// setPendingRecordsGauge and setPendingBytesGauge). Pending returns both
// figures as they stand after the last Fetch, -1 for one it does not know;
// an unbounded input's are unknown.
//
// The runtime calls Pending on the goroutine that calls Fetch, right after
// each Fetch (and once after CreateReader), so a reader answers from its
// own fields without locking; the figures are exported as the source
// operator's pendingRecords and pendingBytes, only while known. A reader
// without it (a socket) exports neither.
type PendingReporter interface {
	Pending() (records, bytes int64)
}
