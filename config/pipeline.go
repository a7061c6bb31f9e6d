package config

import "time"

// Job-level options: parallelism, naming, watermarks and output flushing.
var (
	// DefaultParallelism is the parallelism of operators that do not set
	// their own. Default 1, from Flink's CoreOptions.DEFAULT_PARALLELISM.
	DefaultParallelism = IntOption("parallelism.default", 1,
		"Default parallelism for operators that do not set their own. "+
			"Default from Flink's CoreOptions.DEFAULT_PARALLELISM.",
		AtLeast(1))

	// MaxParallelism is the number of key groups, i.e. the upper bound for
	// rescaling keyed state.
	MaxParallelism = IntOption("pipeline.max-parallelism", 128,
		"Program-wide maximum parallelism: the number of key groups keyed state is split into, "+
			"and so the upper limit for rescaling. Must stay the same across restores of a job's state. "+
			"Weir default differs from Flink's PipelineOptions.MAX_PARALLELISM (-1, meaning derived from the "+
			"parallelism, at least 128) because a derived value changes when the parallelism does and would "+
			"silently change the key-group layout of keyed state; Weir uses Flink's lower bound, 128, fixed. "+
			"The range 1..32768 is Flink's (KeyGroupRangeAssignment.UPPER_BOUND_MAX_PARALLELISM).",
		Between(1, 32768))

	// PipelineName is the job's name: in logs, the REST API and its checkpoint
	// directory.
	PipelineName = StringOption("pipeline.name", "",
		"The job's name, used in logs and the REST API, and naming the job's directory under execution.checkpointing.dir, "+
			"so two jobs that share that directory need distinct names (a restore of another job's checkpoint is refused). "+
			"Empty means the job's built-in name (weir run wordcount: wordcount). "+
			"Flink's PipelineOptions.NAME has no default; Weir uses the empty string for \"not named\".")

	// AutoWatermarkInterval is the period of automatic watermark emission.
	AutoWatermarkInterval = DurationOption("pipeline.auto-watermark-interval", 200*time.Millisecond,
		"Interval of periodic watermark emission by sources and watermark generators; 0 disables "+
			"periodic emission. Default from Flink's PipelineOptions.AUTO_WATERMARK_INTERVAL.",
		AtLeast(time.Duration(0)))

	// BufferTimeoutInterval bounds how long a partly filled output buffer
	// waits before it is flushed downstream.
	BufferTimeoutInterval = DurationOption("execution.buffer-timeout.interval", 100*time.Millisecond,
		"Maximum time an output buffer may wait before being flushed, trading latency for throughput. "+
			"0 flushes after every record (lowest latency). Ignored when execution.buffer-timeout.enabled "+
			"is false. Default from Flink's ExecutionOptions.BUFFER_TIMEOUT; Flink's deprecated key "+
			"execution.buffer-timeout is accepted.",
		AtLeast(time.Duration(0))).
		WithAliases("execution.buffer-timeout")

	// BufferTimeoutEnabled turns the buffer timeout off entirely: buffers
	// are then flushed only when full.
	BufferTimeoutEnabled = BoolOption("execution.buffer-timeout.enabled", true,
		"If false, execution.buffer-timeout.interval has no effect and output buffers are flushed only "+
			"when full, maximising throughput. Default from Flink's ExecutionOptions.BUFFER_TIMEOUT_ENABLED.")
)
