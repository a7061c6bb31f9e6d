package failover

import (
	"errors"
	"testing"

	"github.com/weirstream/weir/config"
)

const (
	describeDefaultExponential = "exponential-delay (initial 1s, max 1m, multiplier 1.5, jitter 0.1, reset after 1h, infinite attempts before reset)"
)

func configOf(t *testing.T, pairs ...string) *config.Config {
	t.Helper()
	c := config.New()
	if err := c.SetPairs(pairs); err != nil {
		t.Fatalf("SetPairs(%q): %v", pairs, err)
	}
	return c
}

func TestFromConfigBuildsEachType(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pairs []string
		want  string // Describe of the built strategy
	}{
		{"unset without checkpointing", nil, "none"},
		{"unset with checkpointing", []string{"execution.checkpointing.interval=10 s"}, describeDefaultExponential},
		// As today and as in Flink, the default exponential-delay ignores
		// the exponential-delay settings; config.Unused warns about them.
		{"unset with checkpointing ignores exponential settings",
			[]string{"execution.checkpointing.interval=10 s", "restart-strategy.exponential-delay.max-backoff=5 min"},
			describeDefaultExponential},
		{"disable", []string{"restart-strategy.type=disable"}, "none"},
		{"none alias", []string{"restart-strategy.type=none"}, "none"},
		{"off alias", []string{"restart-strategy.type=OFF"}, "none"},
		{"disable beats checkpointing", []string{"restart-strategy.type=disable", "execution.checkpointing.interval=1 s"}, "none"},
		{"fixed-delay defaults", []string{"restart-strategy.type=fixed-delay"}, "fixed-delay (1 attempt, 1s delay)"},
		{"fixeddelay alias with values",
			[]string{"restart-strategy.type=fixeddelay", "restart-strategy.fixed-delay.attempts=3", "restart-strategy.fixed-delay.delay=10 s"},
			"fixed-delay (3 attempts, 10s delay)"},
		{"deprecated key restart-strategy", []string{"restart-strategy=fixed-delay"}, "fixed-delay (1 attempt, 1s delay)"},
		{"failure-rate defaults", []string{"restart-strategy.type=failure-rate"}, "failure-rate (max 1 failure per 1m, 1s delay)"},
		{"failurerate alias with values",
			[]string{"restart-strategy.type=failurerate", "restart-strategy.failure-rate.max-failures-per-interval=4",
				"restart-strategy.failure-rate.failure-rate-interval=5 min", "restart-strategy.failure-rate.delay=2 s"},
			"failure-rate (max 4 failures per 5m, 2s delay)"},
		{"exponential-delay defaults", []string{"restart-strategy.type=exponential-delay"}, describeDefaultExponential},
		{"exponentialdelay alias with values",
			[]string{"restart-strategy.type=ExponentialDelay", "restart-strategy.exponential-delay.initial-backoff=2 s",
				"restart-strategy.exponential-delay.max-backoff=2 min", "restart-strategy.exponential-delay.backoff-multiplier=2",
				"restart-strategy.exponential-delay.reset-backoff-threshold=10 min", "restart-strategy.exponential-delay.jitter-factor=0",
				"restart-strategy.exponential-delay.attempts-before-reset-backoff=10"},
			"exponential-delay (initial 2s, max 2m, multiplier 2, jitter 0, reset after 10m, 10 attempts before reset)"},
		// Options of another strategy are not read.
		{"other strategy's options", []string{"restart-strategy.type=fixed-delay", "restart-strategy.failure-rate.max-failures-per-interval=9"},
			"fixed-delay (1 attempt, 1s delay)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := FromConfig(configOf(t, tc.pairs...))
			if err != nil {
				t.Fatalf("FromConfig: %v", err)
			}
			if got := s.Describe(); got != tc.want {
				t.Fatalf("Describe() = %q\nwant         %q", got, tc.want)
			}
		})
	}
}

func TestFromConfigNilReadsDefaults(t *testing.T) {
	s, err := FromConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Describe() != "none" {
		t.Fatalf("FromConfig(nil) = %q, want none", s.Describe())
	}
}

func TestFromConfigReturnsFreshState(t *testing.T) {
	c := configOf(t, "restart-strategy.type=fixed-delay")
	a, _ := FromConfig(c)
	b, _ := FromConfig(c)
	a.NotifyFailure(t0, errBoom)
	a.NotifyFailure(t0, errBoom)
	if a.CanRestart() || !b.CanRestart() {
		t.Fatalf("state shared between FromConfig results: a=%v b=%v", a.CanRestart(), b.CanRestart())
	}
}

// The strategies' own preconditions still hold for values config accepts:
// a backoff multiplier of exactly 1 passes config's check (at least 1) and
// is refused when the strategy is built, as it was before FromConfig.
func TestFromConfigStrategyRefusal(t *testing.T) {
	c := configOf(t, "restart-strategy.type=exponential-delay", "restart-strategy.exponential-delay.backoff-multiplier=1")
	s, err := FromConfig(c)
	if s != nil {
		t.Fatalf("FromConfig returned %#v with an error", s)
	}
	const want = "restart-strategy.exponential-delay.backoff-multiplier must be > 1, got 1"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %q", err, want)
	}
}

func TestNormalizeTypeUsesConfigSpellings(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "  ": "", "disable": TypeNone, "none": TypeNone, " Off ": TypeNone,
		"fixed-delay": TypeFixedDelay, "FIXEDDELAY": TypeFixedDelay,
		"failure-rate": TypeFailureRate, "failurerate": TypeFailureRate,
		"exponential-delay": TypeExponentialDelay, "exponentialdelay": TypeExponentialDelay,
	} {
		got, err := NormalizeType(in)
		if err != nil || got != want {
			t.Errorf("NormalizeType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := NormalizeType("sometimes")
	var cerr *config.Error
	if !errors.As(err, &cerr) || !errors.Is(err, config.ErrInvalidValue) || cerr.Key != "restart-strategy.type" {
		t.Fatalf("NormalizeType(sometimes) error = %#v, want a *config.Error for restart-strategy.type wrapping ErrInvalidValue", err)
	}
}

// DefaultParams holds config's declared defaults, not a copy of them.
func TestDefaultParamsAreConfigDefaults(t *testing.T) {
	attempts, _ := config.FixedDelayAttempts.Default()
	multiplier, _ := config.ExponentialDelayBackoffMultiplier.Default()
	threshold, _ := config.ExponentialDelayResetBackoffThreshold.Default()
	p := DefaultParams()
	if p.FixedDelayAttempts != attempts || p.ExponentialBackoffMultiplier != multiplier || p.ExponentialResetThreshold != threshold {
		t.Fatalf("DefaultParams = %+v, not config's defaults", p)
	}
}
