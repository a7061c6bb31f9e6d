package config

import "time"

// Values of execution.checkpointing.mode (Flink's CheckpointingMode).
const (
	ExactlyOnce = "EXACTLY_ONCE"
	AtLeastOnce = "AT_LEAST_ONCE"
)

// Values of execution.checkpointing.externalized-checkpoint-retention
// (Flink's ExternalizedCheckpointRetention).
const (
	NoExternalizedCheckpoints = "NO_EXTERNALIZED_CHECKPOINTS"
	RetainOnCancellation      = "RETAIN_ON_CANCELLATION"
	DeleteOnCancellation      = "DELETE_ON_CANCELLATION"
)

// Values of execution.checkpointing.fallback (Weir's own option; Flink has
// none).
const (
	FallbackAllow  = "allow"
	FallbackRefuse = "refuse"
)

// MinCheckpointInterval is the smallest accepted checkpoint interval and
// timeout, Flink's CheckpointConfig.MINIMAL_CHECKPOINT_TIME.
const MinCheckpointInterval = 10 * time.Millisecond

// Checkpointing options. Keys are Flink 2.x's execution.checkpointing.*
// names; the older state.* names are accepted as aliases.
var (
	// CheckpointingInterval is the period of checkpoints. Unset (the
	// default) means checkpointing is off; see CheckpointingEnabled.
	CheckpointingInterval = OptionalDurationOption("execution.checkpointing.interval",
		"Interval at which checkpoints are triggered. Unset (the default) disables checkpointing. "+
			"Triggering may be delayed by execution.checkpointing.max-concurrent-checkpoints and "+
			"execution.checkpointing.min-pause. No default, as in Flink's CheckpointingOptions.CHECKPOINTING_INTERVAL; "+
			"the 10 ms minimum is Flink's CheckpointConfig.MINIMAL_CHECKPOINT_TIME (to disable checkpointing, leave "+
			"the option unset rather than writing 0).",
		AtLeast(MinCheckpointInterval))

	// CheckpointingMode is the consistency guarantee of checkpoints.
	CheckpointingMode = EnumOption("execution.checkpointing.mode", ExactlyOnce,
		[]string{ExactlyOnce, AtLeastOnce}, nil,
		"Checkpointing mode: EXACTLY_ONCE aligns barriers (or uses unaligned checkpoints); AT_LEAST_ONCE "+
			"does not align, so records may be replayed twice after recovery. Default from Flink's "+
			"CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE.")

	// CheckpointingTimeout is how long a checkpoint may run before it is
	// discarded.
	CheckpointingTimeout = DurationOption("execution.checkpointing.timeout", 10*time.Minute,
		"Maximum time a checkpoint may take before it is discarded. Default from Flink's "+
			"CheckpointingOptions.CHECKPOINTING_TIMEOUT; the 10 ms minimum is Flink's (CheckpointConfig).",
		AtLeast(MinCheckpointInterval))

	// MinPauseBetweenCheckpoints is the minimum time between the end of one
	// checkpoint and the start of the next.
	MinPauseBetweenCheckpoints = DurationOption("execution.checkpointing.min-pause", 0,
		"Minimal pause between checkpoint attempts: how soon after one checkpoint completes the next may be "+
			"triggered. Default from Flink's CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS.",
		AtLeast(time.Duration(0)))

	// MaxConcurrentCheckpoints is the number of checkpoints that may be in
	// progress at once.
	MaxConcurrentCheckpoints = IntOption("execution.checkpointing.max-concurrent-checkpoints", 1,
		"Maximum number of checkpoint attempts in progress at the same time. Default from Flink's "+
			"CheckpointingOptions.MAX_CONCURRENT_CHECKPOINTS.",
		AtLeast(1))

	// TolerableFailedCheckpoints is the number of consecutive checkpoint
	// failures tolerated before the job fails over.
	TolerableFailedCheckpoints = IntOption("execution.checkpointing.tolerable-failed-checkpoints", 0,
		"Number of consecutive checkpoint failures tolerated before the job is failed over; 0 tolerates none. "+
			"Default from Flink's CheckpointingOptions.TOLERABLE_FAILURE_NUMBER.",
		AtLeast(0))

	// ExternalizedCheckpointRetention says what happens to the last
	// checkpoint when a job is cancelled.
	ExternalizedCheckpointRetention = EnumOption("execution.checkpointing.externalized-checkpoint-retention",
		RetainOnCancellation,
		[]string{NoExternalizedCheckpoints, RetainOnCancellation, DeleteOnCancellation}, nil,
		"Whether completed checkpoints are kept when the job is cancelled (RETAIN_ON_CANCELLATION), deleted "+
			"on cancellation (DELETE_ON_CANCELLATION), or not externalized at all (NO_EXTERNALIZED_CHECKPOINTS). "+
			"Checkpoints are always kept when a job fails. Weir default differs from Flink's "+
			"CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION (NO_EXTERNALIZED_CHECKPOINTS) because it is "+
			"safer: cancelling a job by mistake must not destroy the only copy of its state.")

	// MaxRetainedCheckpoints is the number of completed checkpoints kept.
	MaxRetainedCheckpoints = IntOption("execution.checkpointing.num-retained", 1,
		"Maximum number of completed checkpoints to retain. Default from Flink's "+
			"CheckpointingOptions.MAX_RETAINED_CHECKPOINTS (deprecated key state.checkpoints.num-retained).",
		AtLeast(1)).
		WithAliases("state.checkpoints.num-retained")

	// CheckpointsDirectory is where checkpoint data and metadata are
	// written: a local path or an object-store URI.
	CheckpointsDirectory = StringOption("execution.checkpointing.dir", "weir-checkpoints",
		"Directory (path or URI) for checkpoint data and metadata; it must be reachable from every process of "+
			"the job. Weir default differs from Flink's CheckpointingOptions.CHECKPOINTS_DIRECTORY (no default) so "+
			"that checkpointing works out of the box, in ./weir-checkpoints; set it to durable storage in "+
			"production. Deprecated keys state.checkpoints.dir and state.backend.fs.checkpointdir are accepted.",
		NotEmpty).
		WithAliases("state.checkpoints.dir", "state.backend.fs.checkpointdir")

	// IncrementalCheckpoints asks for checkpoints that store only the
	// change since the previous one, where the state backend supports it.
	IncrementalCheckpoints = BoolOption("execution.checkpointing.incremental", false,
		"Whether to create incremental checkpoints, storing only the difference from the previous checkpoint, "+
			"if the state backend supports it. Default from Flink's CheckpointingOptions.INCREMENTAL_CHECKPOINTS "+
			"(deprecated key state.backend.incremental).").
		WithAliases("state.backend.incremental")

	// UnalignedCheckpointsEnabled enables unaligned checkpoints.
	UnalignedCheckpointsEnabled = BoolOption("execution.checkpointing.unaligned.enabled", false,
		"Enables unaligned checkpoints: barriers overtake buffered records, which become part of the "+
			"checkpoint, so checkpoint time does not grow with backpressure. Requires EXACTLY_ONCE mode and "+
			"max-concurrent-checkpoints 1, as Flink documents. Default from Flink's "+
			"CheckpointingOptions.ENABLE_UNALIGNED (deprecated key execution.checkpointing.unaligned).").
		WithAliases("execution.checkpointing.unaligned")

	// CheckpointFallback says whether a restore that finds the newest
	// checkpoints damaged falls back to an older intact one.
	CheckpointFallback = EnumOption("execution.checkpointing.fallback", FallbackAllow,
		[]string{FallbackAllow, FallbackRefuse}, nil,
		"What a restore does when the newest checkpoints it would resume from are damaged. allow (the default) "+
			"falls back to the newest intact one: the file sink takes back what the damaged checkpoints had "+
			"committed, so its output stays exact; a sink that cannot take back (print, collect) may repeat that "+
			"output, which the log says as an error and the exit status 3 reports when the job ends. refuse "+
			"refuses to fall back at all (one line, exit status 2), for pipelines whose downstream must never see "+
			"output twice. Weir's own option: Flink has none (it restores the newest checkpoint or fails). The "+
			"default keeps a job with a damaged checkpoint running, which is exact with the file sink and loud "+
			"with any other.")

	// AlignedCheckpointTimeout lets a checkpoint start aligned and switch
	// to unaligned once alignment takes longer than this.
	AlignedCheckpointTimeout = DurationOption("execution.checkpointing.aligned-checkpoint-timeout", 0,
		"Only with unaligned checkpoints enabled: 0 starts every checkpoint unaligned; a positive value "+
			"starts it aligned and switches to unaligned when alignment exceeds this time. Default from Flink's "+
			"CheckpointingOptions.ALIGNED_CHECKPOINT_TIMEOUT (deprecated key "+
			"execution.checkpointing.alignment-timeout).",
		AtLeast(time.Duration(0))).
		WithAliases("execution.checkpointing.alignment-timeout")
)

// CheckpointingEnabled reports whether execution.checkpointing.interval is
// set, which is what turns checkpointing on.
func CheckpointingEnabled(c *Config) bool {
	_, set := Lookup(c, CheckpointingInterval)
	return set
}
