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
// The options behind the strategies (their keys, aliases, defaults and
// checks) belong to the config package; FromConfig reads them from a
// *config.Config and builds the strategy, and Params/New do the same from
// plain values. The constructors (NewFixedDelay, ...) still check their own
// arguments, since a strategy can be built without a Config; their messages
// name config's keys. In one place they are stricter than config:
// exponential-delay needs a backoff multiplier above 1, where config (like
// Flink) accepts 1, so such a setting is refused when the strategy is built.
// This package does not decide which tasks to restart,
// and it does not restore state (the checkpoint package does). Strategies
// take the current time as an argument and Run takes a Clock, so everything
// here is testable without sleeping.
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
//     (attempts = 0 means never restart). The delay is constant.
//     Type names: "fixed-delay", "fixeddelay".
//   - failure-rate (FailureRateRestartBackoffTimeStrategy): keeps the
//     timestamps of the last max-failures-per-interval+1 failures; restart is
//     refused only when that many are recorded and the oldest of them is NOT
//     strictly older than the interval (now - oldest <= interval). So up to
//     max-failures-per-interval failures within any interval are tolerated and
//     one more fails the job; failures older than the interval drop out of the
//     window. The delay is constant.
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
//     <= attempts-before-reset-backoff; Flink's default for it,
//     Integer.MAX_VALUE, means "infinite".
//     Type names: "exponential-delay", "exponentialdelay".
//
// The defaults of every option are those of config (docs/configuration.md
// lists them), and the type names are config's spellings of
// restart-strategy.type, matched case-insensitively. When no type is
// configured, config.DefaultRestartStrategy applies Flink's rule (none if
// checkpointing is disabled, exponential-delay with its defaults if it is
// enabled); FromConfig and New with an empty Params.Type follow it.
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
