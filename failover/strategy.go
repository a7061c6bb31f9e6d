package failover

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/weirstream/weir/config"
)

// Strategy decides, after each failure, whether to restart and after what
// delay. Callers follow Flink's ExecutionFailureHandler protocol: on every
// failure call NotifyFailure, then CanRestart, then, if a restart is allowed,
// Backoff.
//
// A Strategy is not safe for concurrent use: one owner (the job's failover
// loop) calls it.
type Strategy interface {
	// NotifyFailure records a failure at time now with its cause.
	NotifyFailure(now time.Time, cause error)
	// CanRestart reports whether another restart is allowed after the
	// failures recorded so far.
	CanRestart() bool
	// Backoff is the delay before the next restart.
	Backoff() time.Duration
	// Describe is a one-line description for logs and the final error,
	// e.g. "fixed-delay (3 attempts, 10s delay)".
	Describe() string
}

// Names of the strategies, as Describe and ExhaustedError write them. The
// last three are config's canonical values of restart-strategy.type; the
// first is the name Flink's logs give NoRestartBackoffTimeStrategy, which
// config spells "disable" (with "none" and "off" as aliases).
const (
	TypeNone             = "none"
	TypeFixedDelay       = config.RestartFixedDelay
	TypeFailureRate      = config.RestartFailureRate
	TypeExponentialDelay = config.RestartExponentialDelay
)

// ---------------------------------------------------------------------------
// none

type noRestart struct{}

// None returns the strategy that never restarts (Flink's
// NoRestartBackoffTimeStrategy). It is stateless; Describe returns "none".
func None() Strategy { return noRestart{} }

func (noRestart) NotifyFailure(time.Time, error) {}
func (noRestart) CanRestart() bool               { return false }
func (noRestart) Backoff() time.Duration         { return 0 }
func (noRestart) Describe() string               { return TypeNone }

// ---------------------------------------------------------------------------
// fixed-delay

// FixedDelay restarts a fixed number of times with a constant delay in
// between (Flink's FixedDelayRestartBackoffTimeStrategy). Each failure counts;
// a restart is allowed while the count is <= Attempts, so exactly Attempts
// restarts happen.
//
// Build it with NewFixedDelay, which validates; a struct literal is used as
// is. The zero state (no failures) is ready to use.
type FixedDelay struct {
	Attempts int           // restarts allowed, >= 0
	Delay    time.Duration // constant backoff, >= 0

	failures int
}

// NewFixedDelay returns a validated fixed-delay strategy.
func NewFixedDelay(attempts int, delay time.Duration) (*FixedDelay, error) {
	s := &FixedDelay{Attempts: attempts, Delay: delay}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *FixedDelay) validate() error {
	if s.Attempts < 0 {
		return paramError(config.FixedDelayAttempts.Key(), "must be >= 0", strconv.Itoa(s.Attempts))
	}
	if s.Delay < 0 {
		return paramError(config.FixedDelayDelay.Key(), "must be >= 0", formatDuration(s.Delay))
	}
	return nil
}

// NotifyFailure counts the failure.
func (s *FixedDelay) NotifyFailure(time.Time, error) {
	if s.failures < math.MaxInt {
		s.failures++
	}
}

// CanRestart reports whether failures so far <= Attempts.
func (s *FixedDelay) CanRestart() bool { return s.failures <= s.Attempts }

// Backoff returns Delay.
func (s *FixedDelay) Backoff() time.Duration { return s.Delay }

// Describe returns e.g. "fixed-delay (3 attempts, 10s delay)".
func (s *FixedDelay) Describe() string {
	return fmt.Sprintf("%s (%s, %s delay)", TypeFixedDelay, plural(s.Attempts, "attempt"), formatDuration(s.Delay))
}

// ---------------------------------------------------------------------------
// failure-rate

// FailureRate restarts as long as the failure rate is not exceeded (Flink's
// FailureRateRestartBackoffTimeStrategy): it keeps the timestamps of the last
// MaxFailuresPerInterval+1 failures and refuses a restart only when that many
// are recorded and the oldest is not strictly older than Interval at the time
// of the latest failure. Up to MaxFailuresPerInterval failures within any
// Interval are tolerated; failures older than Interval drop out.
//
// Build it with NewFailureRate, which validates; a struct literal is used as
// is. The zero state (no failures) is ready to use.
type FailureRate struct {
	MaxFailuresPerInterval int           // > 0
	Interval               time.Duration // > 0
	Delay                  time.Duration // constant backoff, >= 0

	times []time.Time // last MaxFailuresPerInterval+1 failure times, oldest first
	now   time.Time   // time of the latest NotifyFailure
}

// NewFailureRate returns a validated failure-rate strategy.
func NewFailureRate(maxFailuresPerInterval int, interval, delay time.Duration) (*FailureRate, error) {
	s := &FailureRate{MaxFailuresPerInterval: maxFailuresPerInterval, Interval: interval, Delay: delay}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *FailureRate) validate() error {
	if s.MaxFailuresPerInterval <= 0 {
		return paramError(config.FailureRateMaxFailuresPerInterval.Key(), "must be > 0", strconv.Itoa(s.MaxFailuresPerInterval))
	}
	if s.Interval <= 0 {
		return paramError(config.FailureRateInterval.Key(), "must be > 0", formatDuration(s.Interval))
	}
	if s.Delay < 0 {
		return paramError(config.FailureRateDelay.Key(), "must be >= 0", formatDuration(s.Delay))
	}
	return nil
}

func (s *FailureRate) full() bool { return len(s.times) > s.MaxFailuresPerInterval }

// NotifyFailure records the failure time, forgetting the oldest one once
// MaxFailuresPerInterval+1 are kept.
func (s *FailureRate) NotifyFailure(now time.Time, _ error) {
	if s.full() {
		s.times = s.times[1:]
	}
	s.times = append(s.times, now)
	s.now = now
}

// CanRestart reports whether the rate is not exceeded as of the latest
// failure.
func (s *FailureRate) CanRestart() bool {
	if !s.full() {
		return true
	}
	return s.now.Sub(s.times[0]) > s.Interval
}

// Backoff returns Delay.
func (s *FailureRate) Backoff() time.Duration { return s.Delay }

// Describe returns e.g. "failure-rate (max 3 failures per 5m, 10s delay)".
func (s *FailureRate) Describe() string {
	return fmt.Sprintf("%s (max %s per %s, %s delay)", TypeFailureRate,
		plural(s.MaxFailuresPerInterval, "failure"), formatDuration(s.Interval), formatDuration(s.Delay))
}

// ---------------------------------------------------------------------------
// exponential-delay

// ExponentialDelay restarts with an exponentially growing, jittered delay
// (Flink's ExponentialDelayRestartBackoffTimeStrategy). For the n-th attempt
// since the last reset (n from 0) the delay is
//
//	b = InitialBackoff * Multiplier^n
//	clamp(b + uniform[-floor(b*JitterFactor), +floor(b*JitterFactor)], InitialBackoff, MaxBackoff)
//
// A failure at or before the currently scheduled restart time is merged into
// that attempt (not counted; Backoff becomes the time remaining). A failure
// ResetThreshold or more after the scheduled restart time of the previous
// attempt resets n to 0. Restarts are allowed while the number of attempts
// since the last reset is <= AttemptsBeforeReset.
//
// Build it with NewExponentialDelay, which validates; a struct literal is used
// as is. The zero state (no failures) is ready to use.
type ExponentialDelay struct {
	InitialBackoff      time.Duration // >= 1ms, <= MaxBackoff
	MaxBackoff          time.Duration // >= 1ms
	Multiplier          float64       // > 1
	ResetThreshold      time.Duration // >= 1ms
	JitterFactor        float64       // in [0, 1]
	AttemptsBeforeReset int           // >= 1; math.MaxInt32 is Flink's "infinite"
	// Rand is the jitter source; nil uses math/rand/v2's global source. Set a
	// seeded one for reproducible tests.
	Rand *rand.Rand

	attempt   int       // attempts since the last reset
	scheduled bool      // a failure has been recorded
	next      time.Time // scheduled time of the latest attempt's restart
	now       time.Time // time of the latest NotifyFailure
}

// NewExponentialDelay validates cfg's parameters and returns a strategy with
// them and fresh state (cfg's own state is ignored).
func NewExponentialDelay(cfg ExponentialDelay) (*ExponentialDelay, error) {
	s := &ExponentialDelay{
		InitialBackoff:      cfg.InitialBackoff,
		MaxBackoff:          cfg.MaxBackoff,
		Multiplier:          cfg.Multiplier,
		ResetThreshold:      cfg.ResetThreshold,
		JitterFactor:        cfg.JitterFactor,
		AttemptsBeforeReset: cfg.AttemptsBeforeReset,
		Rand:                cfg.Rand,
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *ExponentialDelay) validate() error {
	switch {
	case s.InitialBackoff < time.Millisecond:
		return paramError(config.ExponentialDelayInitialBackoff.Key(), "must be >= 1ms", formatDuration(s.InitialBackoff))
	case s.MaxBackoff < time.Millisecond:
		return paramError(config.ExponentialDelayMaxBackoff.Key(), "must be >= 1ms", formatDuration(s.MaxBackoff))
	case s.InitialBackoff > s.MaxBackoff:
		return paramError(config.ExponentialDelayInitialBackoff.Key(),
			"must be <= "+config.ExponentialDelayMaxBackoff.Key()+" ("+formatDuration(s.MaxBackoff)+")", formatDuration(s.InitialBackoff))
	case !(s.Multiplier > 1) || math.IsInf(s.Multiplier, 1):
		return paramError(config.ExponentialDelayBackoffMultiplier.Key(), "must be > 1", formatFloat(s.Multiplier))
	case s.ResetThreshold < time.Millisecond:
		return paramError(config.ExponentialDelayResetBackoffThreshold.Key(), "must be >= 1ms", formatDuration(s.ResetThreshold))
	case !(s.JitterFactor >= 0 && s.JitterFactor <= 1):
		return paramError(config.ExponentialDelayJitterFactor.Key(), "must be >= 0 and <= 1", formatFloat(s.JitterFactor))
	case s.AttemptsBeforeReset < 1:
		return paramError(config.ExponentialDelayAttemptsBeforeResetBackoff.Key(), "must be >= 1", strconv.Itoa(s.AttemptsBeforeReset))
	}
	return nil
}

// NotifyFailure starts a new attempt, unless a restart is still pending at
// now, in which case the failure is merged into it.
func (s *ExponentialDelay) NotifyFailure(now time.Time, _ error) {
	s.now = now
	if s.scheduled && !now.After(s.next) {
		return // merged into the pending attempt
	}
	if !s.scheduled || now.Sub(s.next) >= s.ResetThreshold {
		s.attempt = 0
	}
	s.next = now.Add(s.delay())
	s.scheduled = true
	if s.attempt < math.MaxInt {
		s.attempt++
	}
}

// CanRestart reports whether attempts since the last reset <=
// AttemptsBeforeReset.
func (s *ExponentialDelay) CanRestart() bool { return s.attempt <= s.AttemptsBeforeReset }

// Backoff is the time from the latest failure to the scheduled restart; 0
// before any failure.
func (s *ExponentialDelay) Backoff() time.Duration {
	if !s.scheduled {
		return 0
	}
	return max(0, s.next.Sub(s.now))
}

// Describe returns e.g. "exponential-delay (initial 1s, max 1m, multiplier
// 1.5, jitter 0.1, reset after 1h, infinite attempts before reset)".
func (s *ExponentialDelay) Describe() string {
	attempts := "infinite attempts"
	if s.AttemptsBeforeReset < math.MaxInt32 {
		attempts = plural(s.AttemptsBeforeReset, "attempt")
	}
	return fmt.Sprintf("%s (initial %s, max %s, multiplier %s, jitter %s, reset after %s, %s before reset)",
		TypeExponentialDelay, formatDuration(s.InitialBackoff), formatDuration(s.MaxBackoff),
		formatFloat(s.Multiplier), formatFloat(s.JitterFactor), formatDuration(s.ResetThreshold), attempts)
}

// saturation bounds the un-jittered backoff so that adding jitter and the
// random range (2*offset+1) cannot overflow; ~73 years, far above any
// meaningful MaxBackoff, so the clamp below is unaffected.
const saturation = math.MaxInt64 / 4

// delay computes the backoff of the current attempt (Flink's
// calculateActualBackoffTime).
func (s *ExponentialDelay) delay() time.Duration {
	raw := float64(s.InitialBackoff) * math.Pow(s.Multiplier, float64(s.attempt))
	var cur int64
	if raw >= saturation || math.IsNaN(raw) {
		cur = saturation
	} else {
		cur = int64(raw) // truncates toward zero, like Java's (long) cast
	}
	if s.JitterFactor > 0 {
		offset := int64(float64(cur) * s.JitterFactor)
		cur += s.int64n(2*offset+1) - offset
	}
	return max(s.InitialBackoff, min(time.Duration(cur), s.MaxBackoff))
}

func (s *ExponentialDelay) int64n(n int64) int64 {
	if s.Rand != nil {
		return s.Rand.Int64N(n)
	}
	return rand.Int64N(n)
}

// ---------------------------------------------------------------------------
// helpers

func paramError(key, rule, got string) error {
	return fmt.Errorf("%s %s, got %s", key, rule, got)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// formatDuration is time.Duration.String without trailing zero units:
// "1m" rather than "1m0s", "1h30m" rather than "1h30m0s".
func formatDuration(d time.Duration) string {
	str := d.String()
	if strings.HasSuffix(str, "m0s") {
		str = strings.TrimSuffix(str, "0s")
	}
	if strings.HasSuffix(str, "h0m") {
		str = strings.TrimSuffix(str, "0m")
	}
	return str
}
