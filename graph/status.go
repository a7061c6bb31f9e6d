package graph

// SubtaskStatus is one subtask's figures: counters since the attempt
// started, and rates over the last sampling second. Names follow Flink's
// task metrics.
type SubtaskStatus struct {
	Subtask int
	// TaskManager and Endpoint name the task manager running the subtask
	// and its data address; empty in the embedded local run.
	TaskManager, Endpoint        string
	RecordsIn, RecordsOut        int64
	RecordsInPerSecond           float64
	RecordsOutPerSecond          float64
	BusyTimeMsPerSecond          float64
	BackPressuredTimeMsPerSecond float64
	IdleTimeMsPerSecond          float64
	// OutPoolUsage is the share of the subtask's output buffers in use
	// (0..1); near 1 means its consumers do not keep up.
	OutPoolUsage float64
	// OutPoolBuffers and OutPoolCapacity are the buffers in use and the
	// pools' size.
	OutPoolBuffers, OutPoolCapacity int
	// CurrentInputWatermark is the subtask's event time: the lowest
	// watermark over its input channels neither idle nor ended
	// (math.MinInt64 before the first, and for a source, which has no
	// input channels; math.MaxInt64 once every input ended).
	CurrentInputWatermark int64
	// CurrentOutputWatermark is the last watermark the subtask's chain
	// sent to its network outputs (math.MinInt64 before the first; a sink
	// has none).
	CurrentOutputWatermark int64
	// BytesIn and BytesOut are the bytes of serialized records received
	// from and sent to the network (Flink's numBytesIn, numBytesOut),
	// counted per network buffer.
	BytesIn, BytesOut int64
	// Operators are the figures of each operator of the chain, in the
	// order of VertexStatus.Operators (Flink's operator scope); nil where
	// the runtime knows none.
	Operators []OperatorStatus
}

// OperatorStatus is one operator instance's own figures, each below 0
// where the operator does not have it (operator.Metrics).
type OperatorStatus struct {
	// LateRecordsDropped is Flink's numLateRecordsDropped: records a
	// window operator or an interval join dropped for coming too late.
	LateRecordsDropped int64
	// PendingRecords and PendingBytes are a source's input not fetched
	// yet (FLIP-33's pendingRecords and pendingBytes), where it knows them.
	PendingRecords, PendingBytes int64
}

// VertexStatus is one vertex (a chain of operators) and its subtasks.
type VertexStatus struct {
	ID          int
	Name        string
	Parallelism int
	Operators   []OperatorInfo
	Inputs      []VertexInputInfo
	Subtasks    []SubtaskStatus
}

// OperatorInfo names one operator of a chain.
type OperatorInfo struct{ Name, UID string }

// VertexInputInfo is a network edge into a vertex.
type VertexInputInfo struct {
	FromVertex   int
	Partitioning string // FORWARD, HASH, REBALANCE, BROADCAST
}
