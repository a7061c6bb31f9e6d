package config

import "time"

// Data-exchange buffers and cluster heartbeats.
var (
	// MemorySegmentSize is the size of one network buffer (and of one
	// managed-memory page).
	MemorySegmentSize = MemorySizeOption("taskmanager.memory.segment-size", 32<<10,
		"Size of the memory buffers used by the network stack. Must be a power of two. "+
			"Default from Flink's TaskManagerOptions.MEMORY_SEGMENT_SIZE; the lower bound (4 kb) and the "+
			"power-of-two rule are Flink's (MemoryManager.MIN_PAGE_SIZE, ConfigurationParserUtils.getPageSize); "+
			"the upper bound (16 mb) is Weir's, as larger buffers only add latency and memory per channel.",
		SizeBetween(4<<10, 16<<20), PowerOfTwo)

	// BuffersPerChannel is the number of exclusive buffers (credits) per
	// input channel in credit-based flow control.
	BuffersPerChannel = IntOption("taskmanager.network.memory.buffers-per-channel", 2,
		"Number of exclusive network buffers per input channel (its initial credit in credit-based flow "+
			"control); 2 lets one buffer be in flight while the next is filled. Default from Flink's "+
			"NettyShuffleEnvironmentOptions.NETWORK_BUFFERS_PER_CHANNEL. Flink accepts 0; Weir requires at "+
			"least 1 so that no channel depends on the shared floating buffers to make progress.",
		AtLeast(1))

	// FloatingBuffersPerGate is the number of buffers per input gate shared
	// among its channels on demand.
	FloatingBuffersPerGate = IntOption("taskmanager.network.memory.floating-buffers-per-gate", 8,
		"Number of floating network buffers per input gate, shared by its channels according to their "+
			"backlog; they help absorb skew between channels. Default from Flink's "+
			"NettyShuffleEnvironmentOptions.NETWORK_EXTRA_BUFFERS_PER_GATE (deprecated in Flink 1.20, kept in Weir).",
		AtLeast(0))

	// HeartbeatInterval is the period of heartbeat requests between the
	// coordinator and workers.
	HeartbeatInterval = DurationOption("heartbeat.interval", 10*time.Second,
		"Time between heartbeat requests from the sender to the receiver side. "+
			"Default from Flink's HeartbeatManagerOptions.HEARTBEAT_INTERVAL; must be positive "+
			"(HeartbeatServicesImpl).",
		GreaterThan(time.Duration(0)))

	// HeartbeatTimeout is how long without a heartbeat before the peer is
	// considered lost.
	// TaskCancellationTimeout bounds how long a cancelled task may take to
	// stop.
	TaskCancellationTimeout = DurationOption("task.cancellation.timeout", 180*time.Second,
		"Time after which a task that was cancelled (the job failed over or was cancelled) and has not "+
			"stopped is a fatal error: the job ends with one line naming the task, and the weir command "+
			"exits 1 so that its supervisor starts a fresh process, since the stuck task still holds its "+
			"state and files. A value of 0 waits for ever. Default from Flink's "+
			"TaskManagerOptions.TASK_CANCELLATION_TIMEOUT, where the task manager's watchdog then kills the process.",
		AtLeast(time.Duration(0)))

	HeartbeatTimeout = DurationOption("heartbeat.timeout", 50*time.Second,
		"Time without a heartbeat after which the peer is considered lost. Must be at least "+
			"heartbeat.interval, as Flink's HeartbeatServicesImpl requires. Default from Flink's "+
			"HeartbeatManagerOptions.HEARTBEAT_TIMEOUT.",
		GreaterThan(time.Duration(0)))
)
