package failover

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var (
	t0      = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	errBoom = errors.New("errBoom")
)

func TestNone(t *testing.T) {
	s := None()
	if s.CanRestart() {
		t.Fatal("none: CanRestart before failure = true")
	}
	s.NotifyFailure(t0, errBoom)
	if s.CanRestart() || s.Backoff() != 0 || s.Describe() != "none" {
		t.Fatalf("none: CanRestart=%v Backoff=%v Describe=%q", s.CanRestart(), s.Backoff(), s.Describe())
	}
}

func TestFixedDelayAllowsExactlyNRestarts(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		delay    time.Duration
		describe string
	}{
		{0, 0, "fixed-delay (0 attempts, 0s delay)"},
		{1, time.Second, "fixed-delay (1 attempt, 1s delay)"},
		{3, 10 * time.Second, "fixed-delay (3 attempts, 10s delay)"},
		{5, 90 * time.Second, "fixed-delay (5 attempts, 1m30s delay)"},
	} {
		s, err := NewFixedDelay(tc.attempts, tc.delay)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Describe(); got != tc.describe {
			t.Errorf("Describe = %q, want %q", got, tc.describe)
		}
		if !s.CanRestart() {
			t.Errorf("attempts=%d: CanRestart before any failure = false", tc.attempts)
		}
		now := t0
		for i := 1; i <= tc.attempts; i++ {
			s.NotifyFailure(now, errBoom)
			if !s.CanRestart() {
				t.Fatalf("attempts=%d: failure %d refused", tc.attempts, i)
			}
			if s.Backoff() != tc.delay {
				t.Fatalf("attempts=%d: Backoff = %v, want %v", tc.attempts, s.Backoff(), tc.delay)
			}
			now = now.Add(time.Hour) // time does not matter
		}
		s.NotifyFailure(now, errBoom)
		if s.CanRestart() {
			t.Fatalf("attempts=%d: failure %d allowed", tc.attempts, tc.attempts+1)
		}
	}
}

func TestFailureRateSlidingWindow(t *testing.T) {
	type step struct {
		at   time.Duration // failure time relative to t0
		want bool          // CanRestart after it
	}
	for _, tc := range []struct {
		name     string
		max      int
		interval time.Duration
		steps    []step
	}{
		{"max failures within interval tolerated, one more refused", 3, 10 * time.Second,
			[]step{{0, true}, {time.Second, true}, {2 * time.Second, true}, {3 * time.Second, false}}},
		{"oldest strictly older than interval drops out", 3, 10 * time.Second,
			[]step{{0, true}, {time.Second, true}, {2 * time.Second, true}, {11 * time.Second, true}, {12 * time.Second, true}, {13 * time.Second, true}, {14 * time.Second, false}}},
		{"exactly interval old still counts", 3, 10 * time.Second,
			[]step{{0, true}, {time.Second, true}, {2 * time.Second, true}, {10 * time.Second, false}}},
		{"one nanosecond past the interval drops out", 3, 10 * time.Second,
			[]step{{0, true}, {time.Second, true}, {2 * time.Second, true}, {10*time.Second + 1, true}}},
		{"spaced failures never exceed (Flink testManyFailuresWithinRate)", 1, time.Millisecond,
			[]step{{0, true}, {2 * time.Millisecond, true}, {4 * time.Millisecond, true}, {6 * time.Millisecond, true}}},
		{"window keeps sliding after a refusal", 1, 10 * time.Second,
			[]step{{0, true}, {5 * time.Second, false}, {20 * time.Second, true}, {25 * time.Second, false}, {36 * time.Second, true}}},
		{"simultaneous failures", 2, time.Minute,
			[]step{{0, true}, {0, true}, {0, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewFailureRate(tc.max, tc.interval, 7*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if !s.CanRestart() {
				t.Fatal("CanRestart before any failure = false")
			}
			for i, st := range tc.steps {
				s.NotifyFailure(t0.Add(st.at), errBoom)
				if got := s.CanRestart(); got != st.want {
					t.Fatalf("step %d (failure at +%v): CanRestart = %v, want %v", i, st.at, got, st.want)
				}
				if s.Backoff() != 7*time.Second {
					t.Fatalf("Backoff = %v", s.Backoff())
				}
			}
			if len(s.times) > tc.max+1 {
				t.Fatalf("kept %d timestamps, want <= %d", len(s.times), tc.max+1)
			}
		})
	}
}

func TestFailureRateDescribe(t *testing.T) {
	s, _ := NewFailureRate(3, 5*time.Minute, 10*time.Second)
	if got, want := s.Describe(), "failure-rate (max 3 failures per 5m, 10s delay)"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	s, _ = NewFailureRate(1, time.Hour, 0)
	if got, want := s.Describe(), "failure-rate (max 1 failure per 1h, 0s delay)"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}

func mustExp(t *testing.T, cfg ExponentialDelay) *ExponentialDelay {
	t.Helper()
	s, err := NewExponentialDelay(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestExponentialDelayGrowthAndCap(t *testing.T) {
	// Flink's defaults without jitter: 1s * 1.5^n capped at 1m.
	s := mustExp(t, ExponentialDelay{
		InitialBackoff: time.Second, MaxBackoff: time.Minute, Multiplier: 1.5,
		ResetThreshold: time.Hour, JitterFactor: 0, AttemptsBeforeReset: math.MaxInt32,
	})
	if s.Backoff() != 0 {
		t.Fatalf("Backoff before any failure = %v, want 0", s.Backoff())
	}
	want := []time.Duration{
		time.Second, 1500 * time.Millisecond, 2250 * time.Millisecond, 3375 * time.Millisecond,
		5062500 * time.Microsecond, 7593750 * time.Microsecond, 11390625 * time.Microsecond,
		17085937500, 25628906250, 38443359375,
		57665039062, // 57665039062.5ns truncated, as Java's (long) cast truncates
		time.Minute, time.Minute, time.Minute,
	}
	now := t0
	for i, w := range want {
		s.NotifyFailure(now, errBoom)
		if !s.CanRestart() {
			t.Fatalf("failure %d refused", i)
		}
		if got := s.Backoff(); got != w {
			t.Fatalf("failure %d: Backoff = %v, want %v", i, got, w)
		}
		now = now.Add(s.Backoff() + time.Millisecond) // restart happened, then failed again
	}
}

func TestExponentialDelayMultiplierNonPowerOfTwo(t *testing.T) {
	// Flink's testBackoffMultiplier, in milliseconds there: 4, 9, 21.
	// Here the truncation is to the nanosecond.
	s := mustExp(t, ExponentialDelay{
		InitialBackoff: 4 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, Multiplier: 2.5,
		ResetThreshold: time.Hour, AttemptsBeforeReset: 10,
	})
	now := t0
	for i, w := range []time.Duration{4 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 62500 * time.Microsecond} {
		s.NotifyFailure(now, errBoom)
		if got := s.Backoff(); got != w {
			t.Fatalf("failure %d: Backoff = %v, want %v", i, got, w)
		}
		now = now.Add(301 * time.Millisecond)
	}
}

func TestExponentialDelayJitterBounds(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		initial, max           time.Duration
		jitter                 float64
		failures               int
		wantLo, wantHi         time.Duration // inclusive bounds of Backoff after `failures` failures
		mustBelowBase, mustAbv bool          // both sides of the base value must be seen
	}{
		// base 4s, ±25% -> [3s, 5s]
		{"symmetric range", time.Second, time.Hour, 0.25, 3, 3 * time.Second, 5 * time.Second, true, true},
		// base 1s = initial, ±25% -> [0.75s,1.25s] clamped below to initial
		{"clamped to initial", time.Second, time.Hour, 0.25, 1, time.Second, 1250 * time.Millisecond, false, true},
		// base 4s, jitter 1 -> [0, 8s] clamped to [1s, 7s] (Flink's testJitterNoHigherThanMax)
		{"never above max nor below initial", time.Second, 7 * time.Second, 1, 3, time.Second, 7 * time.Second, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			base := time.Duration(float64(tc.initial) * math.Pow(2, float64(tc.failures-1)))
			var below, above bool
			for run := 0; run < 2000; run++ {
				s := mustExp(t, ExponentialDelay{
					InitialBackoff: tc.initial, MaxBackoff: tc.max, Multiplier: 2,
					ResetThreshold: 100 * time.Hour, JitterFactor: tc.jitter, AttemptsBeforeReset: math.MaxInt32, Rand: r,
				})
				now := t0
				for i := 0; i < tc.failures; i++ {
					now = now.Add(tc.max + time.Millisecond)
					s.NotifyFailure(now, errBoom)
				}
				got := s.Backoff()
				if got < tc.wantLo || got > tc.wantHi {
					t.Fatalf("run %d: Backoff = %v, want in [%v, %v]", run, got, tc.wantLo, tc.wantHi)
				}
				below = below || got < base
				above = above || got > base
			}
			if tc.mustBelowBase && !below || tc.mustAbv && !above {
				t.Fatalf("jitter not spread around %v: below=%v above=%v", base, below, above)
			}
		})
	}
}

func TestExponentialDelaySeededRandIsReproducible(t *testing.T) {
	seq := func() []time.Duration {
		s := mustExp(t, ExponentialDelay{
			InitialBackoff: time.Second, MaxBackoff: time.Hour, Multiplier: 2, ResetThreshold: 100 * time.Hour,
			JitterFactor: 0.5, AttemptsBeforeReset: 100, Rand: rand.New(rand.NewPCG(42, 7)),
		})
		var out []time.Duration
		now := t0
		for i := 0; i < 8; i++ {
			s.NotifyFailure(now, errBoom)
			out = append(out, s.Backoff())
			now = now.Add(2 * time.Hour)
		}
		return out
	}
	a, b := seq(), seq()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different backoff %d: %v vs %v", i, a[i], b[i])
		}
	}
}

func TestExponentialDelayResetAfterThreshold(t *testing.T) {
	// Flink's testResetBackoff: the reset is measured from the scheduled
	// restart time of the previous attempt.
	const threshold = 8 * time.Millisecond
	s := mustExp(t, ExponentialDelay{
		InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Multiplier: 2,
		ResetThreshold: threshold, AttemptsBeforeReset: math.MaxInt32,
	})
	now := t0
	s.NotifyFailure(now, errBoom)
	if s.Backoff() != time.Millisecond {
		t.Fatalf("first Backoff = %v", s.Backoff())
	}
	now = now.Add(s.Backoff() + threshold - time.Nanosecond) // just under the threshold after the restart
	s.NotifyFailure(now, errBoom)
	if s.Backoff() != 2*time.Millisecond {
		t.Fatalf("Backoff should grow, got %v", s.Backoff())
	}
	now = now.Add(s.Backoff() + threshold) // exactly the threshold after the restart
	s.NotifyFailure(now, errBoom)
	if s.Backoff() != time.Millisecond {
		t.Fatalf("Backoff should be reset, got %v", s.Backoff())
	}
	now = now.Add(s.Backoff() + time.Millisecond)
	s.NotifyFailure(now, errBoom)
	if s.Backoff() != 2*time.Millisecond {
		t.Fatalf("Backoff should grow again after reset, got %v", s.Backoff())
	}
}

func TestExponentialDelayAttemptsBeforeReset(t *testing.T) {
	// Flink's testMaxAttempts: attempts-before-reset-backoff = N allows N
	// restarts, the (N+1)-th failure without a reset is final.
	const n = 13
	s := mustExp(t, ExponentialDelay{
		InitialBackoff: time.Millisecond, MaxBackoff: 3 * time.Millisecond, Multiplier: 1.2,
		ResetThreshold: 10 * time.Millisecond, JitterFactor: 0.25, AttemptsBeforeReset: n,
		Rand: rand.New(rand.NewPCG(3, 4)),
	})
	now := t0
	for i := 0; i < n; i++ {
		s.NotifyFailure(now, errBoom)
		if !s.CanRestart() {
			t.Fatalf("failure %d refused", i+1)
		}
		now = now.Add(4 * time.Millisecond)
	}
	s.NotifyFailure(now, errBoom)
	if s.CanRestart() {
		t.Fatalf("failure %d allowed", n+1)
	}
	// A failure after a quiet period of at least the threshold resets the
	// counter together with the backoff.
	now = now.Add(3*time.Millisecond + 10*time.Millisecond)
	s.NotifyFailure(now, errBoom)
	if !s.CanRestart() || s.Backoff() < time.Millisecond || s.Backoff() > 1250*time.Microsecond {
		t.Fatalf("after reset: CanRestart=%v Backoff=%v, want true and initial backoff ±25%%", s.CanRestart(), s.Backoff())
	}
}

func TestExponentialDelayMergesFailuresWhileRestartPending(t *testing.T) {
	// Flink's testMergeMultipleExceptionsIntoOneAttempt.
	const ms = time.Millisecond
	s := mustExp(t, ExponentialDelay{
		InitialBackoff: 2 * ms, MaxBackoff: 6 * ms, Multiplier: 2,
		ResetThreshold: 80 * ms, AttemptsBeforeReset: 3,
	})
	now := t0
	for round, backoff := range []time.Duration{2 * ms, 4 * ms, 6 * ms} {
		start := now
		for adv := time.Duration(0); adv <= backoff; adv += ms {
			for k := 0; k < 3; k++ {
				s.NotifyFailure(start.Add(adv), errBoom)
				if !s.CanRestart() {
					t.Fatalf("round %d +%v: refused", round, adv)
				}
				if got := s.Backoff(); got != backoff-adv {
					t.Fatalf("round %d +%v: Backoff = %v, want %v", round, adv, got, backoff-adv)
				}
			}
		}
		now = start.Add(backoff + ms) // first failure after the restart: a new attempt
	}
	s.NotifyFailure(now, errBoom)
	if s.CanRestart() {
		t.Fatal("4th attempt allowed with attempts-before-reset-backoff = 3")
	}
}

func TestExponentialDelayHugeExponentSaturates(t *testing.T) {
	s := mustExp(t, ExponentialDelay{
		InitialBackoff: time.Millisecond, MaxBackoff: time.Hour, Multiplier: 10,
		ResetThreshold: 1000 * time.Hour, JitterFactor: 1, AttemptsBeforeReset: math.MaxInt32,
		Rand: rand.New(rand.NewPCG(5, 6)),
	})
	now := t0
	for i := 0; i < 400; i++ { // 10^400 overflows float64 to +Inf
		s.NotifyFailure(now, errBoom)
		if b := s.Backoff(); b < time.Millisecond || b > time.Hour {
			t.Fatalf("failure %d: Backoff = %v out of [1ms, 1h]", i, b)
		}
		now = now.Add(2 * time.Hour)
	}
}

func TestExponentialDelayDescribe(t *testing.T) {
	p := DefaultParams()
	p.Type = "exponential-delay"
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	want := "exponential-delay (initial 1s, max 1m, multiplier 1.5, jitter 0.1, reset after 1h, infinite attempts before reset)"
	if got := s.Describe(); got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	p.ExponentialAttemptsBeforeReset = 10
	p.ExponentialMaxBackoff = 2 * time.Minute
	p.ExponentialResetThreshold = 10 * time.Minute
	s, _ = New(p)
	want = "exponential-delay (initial 1s, max 2m, multiplier 1.5, jitter 0.1, reset after 10m, 10 attempts before reset)"
	if got := s.Describe(); got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}

func TestStructLiteralsWork(t *testing.T) {
	var _ Strategy = &FixedDelay{}
	var _ Strategy = &FailureRate{}
	var _ Strategy = &ExponentialDelay{}
	s := &FixedDelay{Attempts: 1, Delay: time.Second}
	s.NotifyFailure(t0, errBoom)
	if !s.CanRestart() {
		t.Fatal("literal FixedDelay refused first failure")
	}
}
