// Package failover decides whether and when a failed Weir job is restarted.
//
// It owns two things and nothing else:
//
//   - the restart strategies (None, FixedDelay, FailureRate, ExponentialDelay),
//     pure deterministic state machines that are told about each failure and
//     answer "may we restart?" and "after how long?";
//   - Run, the one retry loop every caller shares: run an attempt, on failure
//     consult the strategy, wait the backoff (interruptible), run again, and
//     on give-up return an *ExhaustedError.
//
// It does not read configuration (the config package maps options to Params
// and calls New), it does not decide which tasks to restart, and it does not
// restore state (the checkpoint package does). Strategies take the current
// time as an argument and Run takes a Clock, so everything here is testable
// without sleeping.
//
// # Flink semantics mirrored
//
// The strategies follow Apache Flink's RestartBackoffTimeStrategy
// implementations (flink-runtime, package
// org.apache.flink.runtime.executiongraph.failover) and the option keys and
// defaults of org.apache.flink.configuration.RestartStrategyOptions. The
// caller protocol is Flink's ExecutionFailureHandler: on each failure call
// NotifyFailure, then CanRestart, then (if allowed) Backoff.
//
//   - none (NoRestartBackoffTimeStrategy): never restarts; backoff 0.
//     Accepted type names: "none", "off", "disable".
//   - fixed-delay (FixedDelayRestartBackoffTimeStrategy): every failure
//     increments a counter; restart is allowed while counter <= attempts, so
//     exactly `attempts` restarts happen and the failure after them is final
//     (attempts = 0 means never restart). The delay is constant. Defaults:
//     restart-strategy.fixed-delay.attempts = 1, .delay = 1s.
//     Type names: "fixed-delay", "fixeddelay".
//   - failure-rate (FailureRateRestartBackoffTimeStrategy): keeps the
//     timestamps of the last max-failures-per-interval+1 failures; restart is
//     refused only when that many are recorded and the oldest of them is NOT
//     strictly older than the interval (now - oldest <= interval). So up to
//     max-failures-per-interval failures within any interval are tolerated and
//     one more fails the job; failures older than the interval drop out of the
//     window. The delay is constant. Defaults:
//     restart-strategy.failure-rate.max-failures-per-interval = 1,
//     .failure-rate-interval = 1m, .delay = 1s.
//     Type names: "failure-rate", "failurerate".
//   - exponential-delay (ExponentialDelayRestartBackoffTimeStrategy, as of
//     FLIP-364): the n-th attempt since the last reset (n from 0) waits
//     initial * multiplier^n plus a uniform jitter in
//     [-jitter*that, +jitter*that], clamped to [initial-backoff, max-backoff].
//     A failure that arrives while a restart is still pending (now <= the
//     scheduled restart time) is merged into that attempt: it neither counts
//     nor changes the schedule, and Backoff shrinks to the time remaining. If
//     a failure arrives reset-backoff-threshold or more after the scheduled
//     restart time of the previous attempt, the attempt counter (and thus the
//     backoff) is reset. Restart is allowed while attempts since the reset
//     <= attempts-before-reset-backoff. Defaults:
//     restart-strategy.exponential-delay.initial-backoff = 1s,
//     .max-backoff = 1m, .backoff-multiplier = 1.5,
//     .reset-backoff-threshold = 1h, .jitter-factor = 0.1,
//     .attempts-before-reset-backoff = 2147483647 (Integer.MAX_VALUE,
//     documented by Flink as "infinite").
//     Type names: "exponential-delay", "exponentialdelay".
//
// Type names are matched case-insensitively (Flink lower-cases the value of
// restart-strategy.type). When no type is configured, Flink uses none if
// checkpointing is disabled and exponential-delay with its defaults if it is
// enabled (RestartBackoffTimeStrategyFactoryLoader); Params.Type == "" does
// the same using Params.CheckpointingEnabled.
//
// Differences from Flink, all deliberate:
//
//   - Time is a time.Duration (nanoseconds) rather than whole milliseconds,
//     so the exponential formula truncates to the nanosecond, not the
//     millisecond. Validation of exponential-delay durations still requires
//     at least 1ms, as Flink does.
//   - Flink's canRestart and getBackoffTime read a clock; here the time is the
//     one passed to the most recent NotifyFailure, which is what Flink sees
//     when the calls follow each other as ExecutionFailureHandler makes them.
//   - Backoff before any failure is 0 (Flink throws for exponential-delay).
//   - Arithmetic saturates instead of overflowing for absurd exponents.
package failover
