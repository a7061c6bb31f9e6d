package failover

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Params is the plain-value form of a restart-strategy configuration, one
// field per Flink option. Only the fields of the selected Type are read and
// validated. Zero values are taken literally (FixedDelayAttempts 0 means no
// restart); start from DefaultParams to get Flink's defaults.
type Params struct {
	// Type is restart-strategy.type, matched case-insensitively:
	// "none" | "off" | "disable", "fixed-delay" | "fixeddelay",
	// "failure-rate" | "failurerate", "exponential-delay" | "exponentialdelay".
	// Empty means unset: exponential-delay with Flink's defaults when
	// CheckpointingEnabled, none otherwise (the other fields are then ignored).
	Type string
	// CheckpointingEnabled only matters when Type is empty.
	CheckpointingEnabled bool

	FixedDelayAttempts int           // restart-strategy.fixed-delay.attempts
	FixedDelayDelay    time.Duration // restart-strategy.fixed-delay.delay

	FailureRateMaxFailuresPerInterval int           // restart-strategy.failure-rate.max-failures-per-interval
	FailureRateInterval               time.Duration // restart-strategy.failure-rate.failure-rate-interval
	FailureRateDelay                  time.Duration // restart-strategy.failure-rate.delay

	ExponentialInitialBackoff      time.Duration // restart-strategy.exponential-delay.initial-backoff
	ExponentialMaxBackoff          time.Duration // restart-strategy.exponential-delay.max-backoff
	ExponentialBackoffMultiplier   float64       // restart-strategy.exponential-delay.backoff-multiplier
	ExponentialResetThreshold      time.Duration // restart-strategy.exponential-delay.reset-backoff-threshold
	ExponentialJitterFactor        float64       // restart-strategy.exponential-delay.jitter-factor
	ExponentialAttemptsBeforeReset int           // restart-strategy.exponential-delay.attempts-before-reset-backoff

	// Rand is the jitter source for exponential-delay; nil uses the global
	// source.
	Rand *rand.Rand
}

// DefaultParams returns Flink's defaults for every option
// (RestartStrategyOptions), with Type unset.
func DefaultParams() Params {
	return Params{
		FixedDelayAttempts:                DefaultFixedDelayAttempts,
		FixedDelayDelay:                   DefaultFixedDelayDelay,
		FailureRateMaxFailuresPerInterval: DefaultFailureRateMaxFailuresPerInterval,
		FailureRateInterval:               DefaultFailureRateInterval,
		FailureRateDelay:                  DefaultFailureRateDelay,
		ExponentialInitialBackoff:         DefaultExponentialInitialBackoff,
		ExponentialMaxBackoff:             DefaultExponentialMaxBackoff,
		ExponentialBackoffMultiplier:      DefaultExponentialBackoffMultiplier,
		ExponentialResetThreshold:         DefaultExponentialResetThreshold,
		ExponentialJitterFactor:           DefaultExponentialJitterFactor,
		ExponentialAttemptsBeforeReset:    DefaultExponentialAttemptsBeforeReset,
	}
}

// NormalizeType maps a restart-strategy.type value (any accepted alias, any
// case, surrounding spaces ignored) to its main name: TypeNone,
// TypeFixedDelay, TypeFailureRate or TypeExponentialDelay. Empty stays empty.
func NormalizeType(typ string) (string, error) {
	switch t := strings.ToLower(strings.TrimSpace(typ)); t {
	case "":
		return "", nil
	case "none", "off", "disable":
		return TypeNone, nil
	case "fixed-delay", "fixeddelay":
		return TypeFixedDelay, nil
	case "failure-rate", "failurerate":
		return TypeFailureRate, nil
	case "exponential-delay", "exponentialdelay":
		return TypeExponentialDelay, nil
	default:
		return "", fmt.Errorf("%s must be one of none, off, disable, fixed-delay, fixeddelay, failure-rate, failurerate, exponential-delay, exponentialdelay, got %q", KeyType, typ)
	}
}

// New builds a fresh strategy from p, validating the parameters of the
// selected type. Errors name the offending Flink option key, e.g.
// "restart-strategy.fixed-delay.attempts must be >= 0, got -1".
// Each call returns independent state; build one per job.
func New(p Params) (Strategy, error) {
	typ, err := NormalizeType(p.Type)
	if err != nil {
		return nil, err
	}
	if typ == "" {
		if !p.CheckpointingEnabled {
			return None(), nil
		}
		d := DefaultParams()
		d.Type, d.Rand = TypeExponentialDelay, p.Rand
		p = d
		typ = TypeExponentialDelay
	}
	var s Strategy
	switch typ {
	case TypeNone:
		return None(), nil
	case TypeFixedDelay:
		s, err = unwrapNew(NewFixedDelay(p.FixedDelayAttempts, p.FixedDelayDelay))
	case TypeFailureRate:
		s, err = unwrapNew(NewFailureRate(p.FailureRateMaxFailuresPerInterval, p.FailureRateInterval, p.FailureRateDelay))
	default: // TypeExponentialDelay
		s, err = unwrapNew(NewExponentialDelay(ExponentialDelay{
			InitialBackoff:      p.ExponentialInitialBackoff,
			MaxBackoff:          p.ExponentialMaxBackoff,
			Multiplier:          p.ExponentialBackoffMultiplier,
			ResetThreshold:      p.ExponentialResetThreshold,
			JitterFactor:        p.ExponentialJitterFactor,
			AttemptsBeforeReset: p.ExponentialAttemptsBeforeReset,
			Rand:                p.Rand,
		}))
	}
	return s, err
}

// unwrapNew turns a constructor's (*T, error) into (Strategy, error) without
// the typed-nil trap: on error the Strategy is a true nil.
func unwrapNew[T Strategy](s T, err error) (Strategy, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
