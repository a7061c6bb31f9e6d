package failover

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/weirstream/weir/config"
)

// Params is the plain-value form of a restart-strategy configuration, one
// field per option of the config package (restart-strategy.*). Only the
// fields of the selected Type are read and validated. Zero values are taken
// literally (FixedDelayAttempts 0 means no restart); start from
// DefaultParams to get the options' defaults. FromConfig fills one from a
// *config.Config.
type Params struct {
	// Type is restart-strategy.type in any spelling config accepts for it
	// (any case, its aliases: "none" and "off" for "disable", "fixeddelay"
	// for "fixed-delay", ...). Empty means unset: config's
	// DefaultRestartStrategy then picks from CheckpointingEnabled, and a
	// default exponential-delay runs with the options' defaults (the other
	// fields are then ignored, as in Flink).
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

// DefaultParams returns the defaults the config package declares for each
// restart-strategy option (Flink's, from RestartStrategyOptions), with Type
// unset.
func DefaultParams() Params {
	return paramsOf(nil)
}

// FromConfig builds a fresh strategy from c's restart-strategy options:
// restart-strategy.type if it is set, else config's DefaultRestartStrategy
// (exponential-delay with the options' defaults when checkpointing is
// enabled, none otherwise). A nil c reads as all defaults. Errors are New's.
// Each call returns independent state; build one per job.
func FromConfig(c *config.Config) (Strategy, error) {
	p := paramsOf(c)
	p.CheckpointingEnabled = config.CheckpointingEnabled(c)
	if t, set := config.Lookup(c, config.RestartStrategy); set {
		p.Type = t
	}
	return New(p)
}

// paramsOf reads every restart-strategy value of c (defaults where unset;
// nil reads as all defaults), leaving Type and CheckpointingEnabled empty.
func paramsOf(c *config.Config) Params {
	return Params{
		FixedDelayAttempts:                config.Get(c, config.FixedDelayAttempts),
		FixedDelayDelay:                   config.Get(c, config.FixedDelayDelay),
		FailureRateMaxFailuresPerInterval: config.Get(c, config.FailureRateMaxFailuresPerInterval),
		FailureRateInterval:               config.Get(c, config.FailureRateInterval),
		FailureRateDelay:                  config.Get(c, config.FailureRateDelay),
		ExponentialInitialBackoff:         config.Get(c, config.ExponentialDelayInitialBackoff),
		ExponentialMaxBackoff:             config.Get(c, config.ExponentialDelayMaxBackoff),
		ExponentialBackoffMultiplier:      config.Get(c, config.ExponentialDelayBackoffMultiplier),
		ExponentialResetThreshold:         config.Get(c, config.ExponentialDelayResetBackoffThreshold),
		ExponentialJitterFactor:           config.Get(c, config.ExponentialDelayJitterFactor),
		ExponentialAttemptsBeforeReset:    config.Get(c, config.ExponentialDelayAttemptsBeforeResetBackoff),
	}
}

// NormalizeType maps a restart-strategy.type value to the name of its
// strategy (TypeNone, TypeFixedDelay, TypeFailureRate or
// TypeExponentialDelay), accepting whatever config accepts for the option;
// empty (or blank) stays empty. An unknown value is refused with config's
// *config.Error.
func NormalizeType(typ string) (string, error) {
	if strings.TrimSpace(typ) == "" {
		return "", nil
	}
	t, err := config.RestartStrategy.Parse(typ)
	if err != nil {
		return "", err
	}
	if t == config.RestartDisable {
		return TypeNone, nil
	}
	return t, nil
}

// New builds a fresh strategy from p, validating the parameters of the
// selected type. Errors name the offending option's key, e.g.
// "restart-strategy.fixed-delay.attempts must be >= 0, got -1".
// Each call returns independent state; build one per job.
func New(p Params) (Strategy, error) {
	typ, err := NormalizeType(p.Type)
	if err != nil {
		return nil, err
	}
	if typ == "" {
		if config.DefaultRestartStrategy(p.CheckpointingEnabled) != config.RestartExponentialDelay {
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
