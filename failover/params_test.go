package failover

import (
	"math"
	"testing"
	"time"
)

func TestNewTypesAndAliases(t *testing.T) {
	for _, tc := range []struct {
		typ         string
		checkpoints bool
		describe    string
	}{
		{"none", false, "none"},
		{"off", false, "none"},
		{"disable", false, "none"},
		{"  NONE ", false, "none"},
		{"fixed-delay", false, "fixed-delay (1 attempt, 1s delay)"},
		{"FixedDelay", false, "fixed-delay (1 attempt, 1s delay)"},
		{"failure-rate", false, "failure-rate (max 1 failure per 1m, 1s delay)"},
		{"failurerate", false, "failure-rate (max 1 failure per 1m, 1s delay)"},
		{"exponential-delay", false, "exponential-delay (initial 1s, max 1m, multiplier 1.5, jitter 0.1, reset after 1h, infinite attempts before reset)"},
		{"ExponentialDelay", false, "exponential-delay (initial 1s, max 1m, multiplier 1.5, jitter 0.1, reset after 1h, infinite attempts before reset)"},
		// Unset: Flink's RestartBackoffTimeStrategyFactoryLoader default.
		{"", false, "none"},
		{"", true, "exponential-delay (initial 1s, max 1m, multiplier 1.5, jitter 0.1, reset after 1h, infinite attempts before reset)"},
	} {
		p := DefaultParams()
		p.Type, p.CheckpointingEnabled = tc.typ, tc.checkpoints
		s, err := New(p)
		if err != nil {
			t.Fatalf("New(%q): %v", tc.typ, err)
		}
		if got := s.Describe(); got != tc.describe {
			t.Errorf("New(%q, checkpointing=%v).Describe() = %q, want %q", tc.typ, tc.checkpoints, got, tc.describe)
		}
	}
}

func TestNewUnsetTypeIgnoresOtherFields(t *testing.T) {
	s, err := New(Params{CheckpointingEnabled: true}) // zero exponential fields would be invalid
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*ExponentialDelay); !ok {
		t.Fatalf("got %T", s)
	}
}

func TestNewValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(p *Params)
		want   string
	}{
		{"unknown type", func(p *Params) { p.Type = "sometimes" },
			`invalid value "sometimes" for option restart-strategy.type: must be one of disable, fixed-delay, failure-rate, exponential-delay`},
		{"fixed attempts", func(p *Params) { p.Type = "fixed-delay"; p.FixedDelayAttempts = -1 },
			"restart-strategy.fixed-delay.attempts must be >= 0, got -1"},
		{"fixed delay", func(p *Params) { p.Type = "fixed-delay"; p.FixedDelayDelay = -time.Second },
			"restart-strategy.fixed-delay.delay must be >= 0, got -1s"},
		{"rate max", func(p *Params) { p.Type = "failure-rate"; p.FailureRateMaxFailuresPerInterval = 0 },
			"restart-strategy.failure-rate.max-failures-per-interval must be > 0, got 0"},
		{"rate interval", func(p *Params) { p.Type = "failure-rate"; p.FailureRateInterval = 0 },
			"restart-strategy.failure-rate.failure-rate-interval must be > 0, got 0s"},
		{"rate delay", func(p *Params) { p.Type = "failure-rate"; p.FailureRateDelay = -time.Millisecond },
			"restart-strategy.failure-rate.delay must be >= 0, got -1ms"},
		{"exp initial", func(p *Params) { p.Type = "exponential-delay"; p.ExponentialInitialBackoff = time.Microsecond },
			"restart-strategy.exponential-delay.initial-backoff must be >= 1ms, got 1µs"},
		{"exp max", func(p *Params) { p.Type = "exponential-delay"; p.ExponentialMaxBackoff = 0 },
			"restart-strategy.exponential-delay.max-backoff must be >= 1ms, got 0s"},
		{"exp initial above max", func(p *Params) {
			p.Type = "exponential-delay"
			p.ExponentialInitialBackoff = 2 * time.Minute
		}, "restart-strategy.exponential-delay.initial-backoff must be <= restart-strategy.exponential-delay.max-backoff (1m), got 2m"},
		{"exp multiplier", func(p *Params) { p.Type = "exponential-delay"; p.ExponentialBackoffMultiplier = 1 },
			"restart-strategy.exponential-delay.backoff-multiplier must be > 1, got 1"},
		{"exp multiplier NaN", func(p *Params) { p.Type = "exponential-delay"; p.ExponentialBackoffMultiplier = math.NaN() },
			"restart-strategy.exponential-delay.backoff-multiplier must be > 1, got NaN"},
		{"exp threshold", func(p *Params) { p.Type = "exponential-delay"; p.ExponentialResetThreshold = 0 },
			"restart-strategy.exponential-delay.reset-backoff-threshold must be >= 1ms, got 0s"},
		{"exp jitter high", func(p *Params) { p.Type = "exponential-delay"; p.ExponentialJitterFactor = 1.5 },
			"restart-strategy.exponential-delay.jitter-factor must be >= 0 and <= 1, got 1.5"},
		{"exp jitter low", func(p *Params) { p.Type = "exponential-delay"; p.ExponentialJitterFactor = -0.1 },
			"restart-strategy.exponential-delay.jitter-factor must be >= 0 and <= 1, got -0.1"},
		{"exp attempts", func(p *Params) { p.Type = "exponential-delay"; p.ExponentialAttemptsBeforeReset = 0 },
			"restart-strategy.exponential-delay.attempts-before-reset-backoff must be >= 1, got 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.modify(&p)
			s, err := New(p)
			if err == nil {
				t.Fatalf("New accepted %+v", p)
			}
			if s != nil {
				t.Fatalf("New returned non-nil Strategy %#v with an error", s)
			}
			if err.Error() != tc.want {
				t.Fatalf("error = %q\nwant    %q", err, tc.want)
			}
		})
	}
}

func TestNewOnlyValidatesSelectedType(t *testing.T) {
	p := Params{Type: "fixed-delay", FixedDelayAttempts: 2} // failure-rate/exponential fields zero (invalid)
	if _, err := New(p); err != nil {
		t.Fatal(err)
	}
	p = Params{Type: "none", FixedDelayAttempts: -5}
	if _, err := New(p); err != nil {
		t.Fatal(err)
	}
}

func TestNewReturnsFreshState(t *testing.T) {
	p := DefaultParams()
	p.Type = "fixed-delay"
	a, _ := New(p)
	b, _ := New(p)
	a.NotifyFailure(t0, errBoom)
	a.NotifyFailure(t0, errBoom)
	if a.CanRestart() || !b.CanRestart() {
		t.Fatalf("state shared between New results: a=%v b=%v", a.CanRestart(), b.CanRestart())
	}
}

func TestDefaultParamsMatchFlink(t *testing.T) {
	p := DefaultParams()
	want := Params{
		FixedDelayAttempts: 1, FixedDelayDelay: time.Second,
		FailureRateMaxFailuresPerInterval: 1, FailureRateInterval: time.Minute, FailureRateDelay: time.Second,
		ExponentialInitialBackoff: time.Second, ExponentialMaxBackoff: time.Minute, ExponentialBackoffMultiplier: 1.5,
		ExponentialResetThreshold: time.Hour, ExponentialJitterFactor: 0.1, ExponentialAttemptsBeforeReset: 2147483647,
	}
	if p != want {
		t.Fatalf("DefaultParams = %+v\nwant %+v", p, want)
	}
}
