package config

import (
	"math"
	"time"
)

// Canonical values of restart-strategy.type, Flink's main values
// (RestartStrategyOptions.RestartStrategyType).
const (
	// RestartDisable never restarts; "none" and "off" are accepted for it.
	RestartDisable = "disable"
	// RestartFixedDelay restarts a fixed number of times with a constant
	// delay; "fixeddelay" is accepted.
	RestartFixedDelay = "fixed-delay"
	// RestartFailureRate restarts unless too many failures happen within an
	// interval; "failurerate" is accepted.
	RestartFailureRate = "failure-rate"
	// RestartExponentialDelay restarts with exponentially growing delays;
	// "exponentialdelay" is accepted.
	RestartExponentialDelay = "exponential-delay"
)

// Restart strategy options. Defaults are those of Flink's
// RestartStrategyOptions as of Flink 1.19+ (FLIP-364).
var (
	// RestartStrategy selects the restart strategy. Unset by default; read
	// it with RestartStrategyType, which applies Flink's default rule.
	RestartStrategy = OptionalEnumOption("restart-strategy.type",
		[]string{RestartDisable, RestartFixedDelay, RestartFailureRate, RestartExponentialDelay},
		map[string]string{
			"none": RestartDisable, "off": RestartDisable,
			"fixeddelay":       RestartFixedDelay,
			"failurerate":      RestartFailureRate,
			"exponentialdelay": RestartExponentialDelay,
		},
		"Restart strategy used when a job fails: disable (also none, off), fixed-delay (fixeddelay), "+
			"failure-rate (failurerate) or exponential-delay (exponentialdelay). Unset by default, as in Flink's "+
			"RestartStrategyOptions.RESTART_STRATEGY: then exponential-delay with its defaults if checkpointing is "+
			"enabled, else disable (RestartBackoffTimeStrategyFactoryLoader); see RestartStrategyType. "+
			"Deprecated key restart-strategy is accepted.").
		WithAliases("restart-strategy")

	// FixedDelayAttempts is the number of restarts fixed-delay allows.
	FixedDelayAttempts = IntOption("restart-strategy.fixed-delay.attempts", 1,
		"Number of restarts before the job is declared failed, with restart-strategy.type fixed-delay. "+
			"Default from Flink's RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS.",
		AtLeast(0))

	// FixedDelayDelay is the wait before each fixed-delay restart.
	FixedDelayDelay = DurationOption("restart-strategy.fixed-delay.delay", time.Second,
		"Delay between two consecutive restart attempts, with restart-strategy.type fixed-delay. "+
			"Default from Flink's RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY.",
		AtLeast(time.Duration(0)))

	// FailureRateMaxFailuresPerInterval is the number of failures
	// failure-rate tolerates within one interval.
	FailureRateMaxFailuresPerInterval = IntOption("restart-strategy.failure-rate.max-failures-per-interval", 1,
		"Maximum number of restarts within restart-strategy.failure-rate.failure-rate-interval before the job "+
			"fails, with restart-strategy.type failure-rate. Default from Flink's "+
			"RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_MAX_FAILURES_PER_INTERVAL.",
		AtLeast(1))

	// FailureRateInterval is failure-rate's measuring window.
	FailureRateInterval = DurationOption("restart-strategy.failure-rate.failure-rate-interval", time.Minute,
		"Time window for measuring the failure rate, with restart-strategy.type failure-rate. "+
			"Default from Flink's RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_FAILURE_RATE_INTERVAL.",
		GreaterThan(time.Duration(0)))

	// FailureRateDelay is the wait before each failure-rate restart.
	FailureRateDelay = DurationOption("restart-strategy.failure-rate.delay", time.Second,
		"Delay between two consecutive restart attempts, with restart-strategy.type failure-rate. "+
			"Default from Flink's RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_DELAY.",
		AtLeast(time.Duration(0)))

	// ExponentialDelayInitialBackoff is the first exponential-delay wait.
	ExponentialDelayInitialBackoff = DurationOption("restart-strategy.exponential-delay.initial-backoff", time.Second,
		"Starting delay between restarts, with restart-strategy.type exponential-delay. Default from Flink's "+
			"RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF; at least 1 ms, as "+
			"ExponentialDelayRestartBackoffTimeStrategy requires.",
		AtLeast(time.Millisecond))

	// ExponentialDelayMaxBackoff caps the exponential-delay wait.
	ExponentialDelayMaxBackoff = DurationOption("restart-strategy.exponential-delay.max-backoff", time.Minute,
		"Highest possible delay between restarts, with restart-strategy.type exponential-delay; must be at "+
			"least the initial backoff. Default from Flink's "+
			"RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF (1 min since Flink 1.19).",
		AtLeast(time.Millisecond))

	// ExponentialDelayBackoffMultiplier is the growth factor per failure.
	ExponentialDelayBackoffMultiplier = FloatOption("restart-strategy.exponential-delay.backoff-multiplier", 1.5,
		"Factor the delay is multiplied by after each failure, up to the max backoff, with "+
			"restart-strategy.type exponential-delay. Default from Flink's "+
			"RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER (1.5 since Flink 1.19).",
		AtLeast(1.0))

	// ExponentialDelayResetBackoffThreshold is how long a job must run
	// without failure for the delay to fall back to the initial backoff.
	ExponentialDelayResetBackoffThreshold = DurationOption("restart-strategy.exponential-delay.reset-backoff-threshold", time.Hour,
		"How long the job must run without failure for the backoff to reset to its initial value, with "+
			"restart-strategy.type exponential-delay. Default from Flink's "+
			"RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD.",
		AtLeast(time.Millisecond))

	// ExponentialDelayJitterFactor is the random spread of each delay, as a
	// fraction of it.
	ExponentialDelayJitterFactor = FloatOption("restart-strategy.exponential-delay.jitter-factor", 0.1,
		"Random jitter added to or subtracted from each delay, as a fraction of it (0..1), so that many jobs "+
			"do not restart in lockstep; with restart-strategy.type exponential-delay. Default from Flink's "+
			"RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_JITTER_FACTOR.",
		Between(0.0, 1.0))

	// ExponentialDelayAttemptsBeforeResetBackoff is the number of restarts
	// allowed between backoff resets.
	ExponentialDelayAttemptsBeforeResetBackoff = IntOption("restart-strategy.exponential-delay.attempts-before-reset-backoff", math.MaxInt32,
		"Number of restarts allowed before the job fails, counted since the backoff was last reset, with "+
			"restart-strategy.type exponential-delay. The default, 2147483647, means unlimited. Default from "+
			"Flink's RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS (Integer.MAX_VALUE).",
		AtLeast(1))
)

// RestartStrategyType returns the effective restart strategy, one of
// RestartDisable, RestartFixedDelay, RestartFailureRate and
// RestartExponentialDelay. If restart-strategy.type is set, that is the
// answer; otherwise DefaultRestartStrategy decides from whether
// checkpointing is enabled (execution.checkpointing.interval is set).
func RestartStrategyType(c *Config) string {
	if t, set := Lookup(c, RestartStrategy); set {
		return t
	}
	return DefaultRestartStrategy(CheckpointingEnabled(c))
}

// DefaultRestartStrategy is the strategy used when restart-strategy.type is
// unset, by Flink's rule (RestartBackoffTimeStrategyFactoryLoader, Flink
// 1.19+): exponential-delay when checkpointing is enabled, disable when it
// is not. As in Flink, that default exponential-delay runs with the
// options' defaults: the restart-strategy.exponential-delay.* settings are
// read only when restart-strategy.type names exponential-delay, and Unused
// says so when they are set without it.
func DefaultRestartStrategy(checkpointing bool) string {
	if checkpointing {
		return RestartExponentialDelay
	}
	return RestartDisable
}
