package config

import "errors"

// Validate checks combinations of options that are each valid on their own
// but cannot work together, using effective values (defaults included). It
// returns nil or every problem found, joined with errors.Join; each is a
// *ConflictError wrapping ErrConflict. Single values need no re-checking:
// Set, SetPairs and LoadYAML refuse bad ones.
//
// The rules, and where they come from:
//
//   - heartbeat.timeout >= heartbeat.interval (Flink's HeartbeatServicesImpl
//     refuses a shorter timeout; equal is allowed, as in Flink).
//   - With the effective restart strategy exponential-delay,
//     restart-strategy.exponential-delay.max-backoff >= initial-backoff
//     (Flink's ExponentialDelayRestartBackoffTimeStrategy). The options of
//     strategies not in use are not checked, as in Flink.
//   - Unaligned checkpoints need execution.checkpointing.mode EXACTLY_ONCE
//     and execution.checkpointing.max-concurrent-checkpoints 1 (Flink
//     documents both requirements on execution.checkpointing.unaligned.enabled;
//     Weir refuses the combination rather than quietly running aligned
//     checkpoints).
//   - A positive execution.checkpointing.aligned-checkpoint-timeout needs
//     unaligned checkpoints enabled (Flink ignores it otherwise; Weir
//     refuses, since the user evidently expected unaligned checkpoints).
//
// Not errors, because Flink accepts them and they work: a timeout shorter
// than the checkpoint interval, a min-pause longer than the interval.
func (c *Config) Validate() error {
	var errs []error
	conflict := func(reason string, settings ...string) {
		errs = append(errs, &ConflictError{Settings: settings, Reason: reason})
	}

	if Get(c, HeartbeatTimeout) < Get(c, HeartbeatInterval) {
		conflict("heartbeat.timeout must be at least heartbeat.interval",
			setting(c, HeartbeatTimeout), setting(c, HeartbeatInterval))
	}

	if RestartStrategyType(c) == RestartExponentialDelay &&
		Get(c, ExponentialDelayMaxBackoff) < Get(c, ExponentialDelayInitialBackoff) {
		conflict("the maximum backoff must be at least the initial backoff",
			setting(c, ExponentialDelayMaxBackoff), setting(c, ExponentialDelayInitialBackoff))
	}

	unaligned := Get(c, UnalignedCheckpointsEnabled)
	if unaligned && Get(c, CheckpointingMode) != ExactlyOnce {
		conflict("unaligned checkpoints require execution.checkpointing.mode EXACTLY_ONCE",
			setting(c, CheckpointingMode), setting(c, UnalignedCheckpointsEnabled))
	}
	if unaligned && Get(c, MaxConcurrentCheckpoints) > 1 {
		conflict("unaligned checkpoints require execution.checkpointing.max-concurrent-checkpoints 1",
			setting(c, MaxConcurrentCheckpoints), setting(c, UnalignedCheckpointsEnabled))
	}
	if !unaligned && Get(c, AlignedCheckpointTimeout) > 0 {
		conflict("an aligned-checkpoint timeout only applies when execution.checkpointing.unaligned.enabled is true",
			setting(c, AlignedCheckpointTimeout), setting(c, UnalignedCheckpointsEnabled))
	}

	return errors.Join(errs...)
}

// setting renders an option's effective value as key=value for messages.
func setting[T any](c *Config, o Option[T]) string {
	return o.m.key + "=" + o.format(Get(c, o))
}
