package failover

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

// fakeClock advances only when Run waits: After(d) moves time forward by d
// and fires at once, unless onAfter says otherwise.
type fakeClock struct {
	now     time.Time
	waits   []time.Duration
	onAfter func(d time.Duration) <-chan time.Time // optional override
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.waits = append(c.waits, d)
	if c.onAfter != nil {
		return c.onAfter(d)
	}
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

type restart struct {
	n     int
	delay time.Duration
	cause error
}

// recorder counts strategy calls around a real strategy.
type recorder struct {
	Strategy
	notified []time.Time
}

func (r *recorder) NotifyFailure(now time.Time, cause error) {
	r.notified = append(r.notified, now)
	r.Strategy.NotifyFailure(now, cause)
}

func failing(calls *[]int, err func(n int) error) func(context.Context, int) error {
	return func(_ context.Context, n int) error {
		*calls = append(*calls, n)
		return err(n)
	}
}

func TestRunFixedDelayExhausted(t *testing.T) {
	s, _ := NewFixedDelay(3, 10*time.Second)
	clk := &fakeClock{now: t0}
	var calls []int
	var restarts []restart
	err := Run(context.Background(), s, clk,
		failing(&calls, func(int) error { return errBoom }),
		func(n int, d time.Duration, cause error) { restarts = append(restarts, restart{n, d, cause}) })

	const want = "restart strategy fixed-delay (3 attempts, 10s delay) exhausted after 3 restarts; last failure: errBoom"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	if !errors.Is(err, ErrExhausted) || !errors.Is(err, errBoom) {
		t.Fatalf("errors.Is: ErrExhausted=%v errBoom=%v", errors.Is(err, ErrExhausted), errors.Is(err, errBoom))
	}
	var ex *ExhaustedError
	if !errors.As(err, &ex) || ex.Attempts != 3 || ex.Last != errBoom || ex.Strategy != s.Describe() {
		t.Fatalf("ExhaustedError = %+v", ex)
	}
	if fmt.Sprint(calls) != "[0 1 2 3]" {
		t.Fatalf("attempt numbers = %v", calls)
	}
	wantRestarts := []restart{{1, 10 * time.Second, errBoom}, {2, 10 * time.Second, errBoom}, {3, 10 * time.Second, errBoom}}
	if fmt.Sprint(restarts) != fmt.Sprint(wantRestarts) {
		t.Fatalf("onRestart calls = %v, want %v", restarts, wantRestarts)
	}
	if got := clk.now.Sub(t0); got != 30*time.Second {
		t.Fatalf("waited %v in total, want 30s", got)
	}
}

func TestRunSucceedsAfterRestarts(t *testing.T) {
	s, _ := NewFixedDelay(5, time.Second)
	clk := &fakeClock{now: t0}
	var calls []int
	nRestarts := 0
	err := Run(context.Background(), s, clk,
		failing(&calls, func(n int) error {
			if n < 2 {
				return errBoom
			}
			return nil
		}),
		func(int, time.Duration, error) { nRestarts++ })
	if err != nil || nRestarts != 2 || fmt.Sprint(calls) != "[0 1 2]" {
		t.Fatalf("err=%v restarts=%d calls=%v", err, nRestarts, calls)
	}
}

func TestRunNone(t *testing.T) {
	var calls []int
	restarted := false
	err := Run(context.Background(), None(), &fakeClock{now: t0},
		failing(&calls, func(int) error { return errBoom }),
		func(int, time.Duration, error) { restarted = true })
	const want = "restart strategy none does not restart; failure: errBoom"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if !errors.Is(err, ErrExhausted) || len(calls) != 1 || restarted {
		t.Fatalf("calls=%v restarted=%v", calls, restarted)
	}
	// A nil strategy behaves as None, a nil onRestart is allowed.
	if err := Run(context.Background(), nil, nil, func(context.Context, int) error { return errBoom }, nil); err == nil || err.Error() != want {
		t.Fatalf("nil strategy: err = %v", err)
	}
}

func TestRunSingularRestart(t *testing.T) {
	s, _ := NewFixedDelay(1, 0)
	err := Run(context.Background(), s, &fakeClock{now: t0}, func(context.Context, int) error { return errBoom }, nil)
	const want = "restart strategy fixed-delay (1 attempt, 0s delay) exhausted after 1 restart; last failure: errBoom"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func TestRunFailureRate(t *testing.T) {
	// Each attempt runs 10s before failing: failures at 10s, 21s, 32s...
	// At most 2 per 25s: the third failure (32s) has the first (10s) within
	// 25s, so it is final.
	s, _ := NewFailureRate(2, 25*time.Second, time.Second)
	clk := &fakeClock{now: t0}
	var calls []int
	err := Run(context.Background(), s, clk, func(_ context.Context, n int) error {
		calls = append(calls, n)
		clk.now = clk.now.Add(10 * time.Second)
		return errBoom
	}, nil)
	const want = "restart strategy failure-rate (max 2 failures per 25s, 1s delay) exhausted after 2 restarts; last failure: errBoom"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}

func TestRunExponentialDelayWithFrozenTime(t *testing.T) {
	// Attempts fail instantly and the fake clock only advances by exactly
	// the waits: each failure lands on the restart's due time. Run must still
	// count every failure as a new attempt (no merge, no zero-delay spin).
	s := &recorder{Strategy: mustExp(t, ExponentialDelay{
		InitialBackoff: time.Second, MaxBackoff: 10 * time.Second, Multiplier: 2,
		ResetThreshold: time.Hour, AttemptsBeforeReset: 5,
	})}
	clk := &fakeClock{now: t0}
	var delays []time.Duration
	err := Run(context.Background(), s, clk, func(context.Context, int) error { return errBoom },
		func(_ int, d time.Duration, _ error) { delays = append(delays, d) })
	var ex *ExhaustedError
	if !errors.As(err, &ex) || ex.Attempts != 5 {
		t.Fatalf("err = %v", err)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second}
	if fmt.Sprint(delays) != fmt.Sprint(want) {
		t.Fatalf("delays = %v, want %v", delays, want)
	}
	for i := 1; i < len(s.notified); i++ {
		if !s.notified[i].After(s.notified[i-1].Add(delays[i-1])) {
			t.Fatalf("failure %d reported at %v, not after the restart due at %v", i, s.notified[i], s.notified[i-1].Add(delays[i-1]))
		}
	}
	// A clock that never advances at all behaves the same.
	s2 := mustExp(t, ExponentialDelay{
		InitialBackoff: time.Second, MaxBackoff: 10 * time.Second, Multiplier: 2,
		ResetThreshold: time.Hour, AttemptsBeforeReset: 3,
	})
	frozen := &fakeClock{now: t0, onAfter: func(time.Duration) <-chan time.Time {
		ch := make(chan time.Time, 1)
		ch <- t0
		return ch
	}}
	if err := Run(context.Background(), s2, frozen, func(context.Context, int) error { return errBoom }, nil); !errors.As(err, &ex) || ex.Attempts != 3 {
		t.Fatalf("frozen clock: err = %v", err)
	}
}

func TestRunNoRestartShortCircuits(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"fmt wrap", fmt.Errorf("configuration refused: %w", ErrNoRestart)},
		{"helper", NoRestart(errors.New("job cancelled by user"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{Strategy: &FixedDelay{Attempts: 100, Delay: time.Second}}
			clk := &fakeClock{now: t0}
			var calls []int
			restarts := 0
			err := Run(context.Background(), rec, clk,
				failing(&calls, func(n int) error {
					if n == 1 {
						return tc.err
					}
					return errBoom
				}),
				func(int, time.Duration, error) { restarts++ })
			if err != tc.err {
				t.Fatalf("err = %v, want %v as is", err, tc.err)
			}
			if !errors.Is(err, ErrNoRestart) || errors.Is(err, ErrExhausted) {
				t.Fatalf("errors.Is mismatch for %v", err)
			}
			if len(calls) != 2 || restarts != 1 || len(rec.notified) != 1 {
				t.Fatalf("calls=%v restarts=%d notified=%d", calls, restarts, len(rec.notified))
			}
		})
	}
	if NoRestart(nil) != nil {
		t.Fatal("NoRestart(nil) != nil")
	}
	inner := errors.New("x")
	if e := NoRestart(inner); e.Error() != "x" || errors.Unwrap(e) != inner {
		t.Fatalf("NoRestart wraps badly: %q", e)
	}
}

func TestRunCancelDuringBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	never := make(chan time.Time) // the backoff never elapses on its own
	clk := &fakeClock{now: t0, onAfter: func(time.Duration) <-chan time.Time {
		cancel() // cancelled while Run waits
		return never
	}}
	var calls []int
	err := Run(ctx, &FixedDelay{Attempts: 10, Delay: time.Hour}, clk,
		failing(&calls, func(int) error { return errBoom }), nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrExhausted) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(calls) != 1 || len(clk.waits) != 1 || clk.waits[0] != time.Hour {
		t.Fatalf("calls=%v waits=%v", calls, clk.waits)
	}
}

func TestRunCancelDuringBackoffRealClock(t *testing.T) {
	// SystemClock with a one-hour backoff: cancelling from another goroutine
	// must end Run promptly.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, &FixedDelay{Attempts: 1, Delay: time.Hour}, SystemClock{},
			func(context.Context, int) error { return errBoom },
			func(int, time.Duration, error) { close(started) })
	}()
	<-started
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second): // guard only; normally returns at once
		t.Fatal("Run did not return after cancel")
	}
}

func TestRunContextDoneBeforeOrDuringAttempt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	if err := Run(ctx, None(), nil, func(context.Context, int) error { called = true; return nil }, nil); !errors.Is(err, context.Canceled) || called {
		t.Fatalf("pre-cancelled: err=%v called=%v", err, called)
	}

	// The attempt notices the cancel and returns ctx.Err(): returned as is,
	// not recorded as a failure.
	ctx, cancel = context.WithCancel(context.Background())
	rec := &recorder{Strategy: &FixedDelay{Attempts: 5}}
	err := Run(ctx, rec, &fakeClock{now: t0}, func(ctx context.Context, _ int) error {
		cancel()
		return ctx.Err()
	}, nil)
	if err != context.Canceled || len(rec.notified) != 0 {
		t.Fatalf("err=%v notified=%d", err, len(rec.notified))
	}

	// The attempt fails for its own reason while ctx is cancelled: both are
	// reported, on one line.
	ctx, cancel = context.WithCancel(context.Background())
	rec = &recorder{Strategy: &FixedDelay{Attempts: 5}}
	err = Run(ctx, rec, &fakeClock{now: t0}, func(context.Context, int) error {
		cancel()
		return errBoom
	}, nil)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errBoom) || len(rec.notified) != 0 ||
		err.Error() != "context canceled; last failure: errBoom" {
		t.Fatalf("err=%v notified=%d", err, len(rec.notified))
	}
}

func TestRunZeroDelayDoesNotWait(t *testing.T) {
	clk := &fakeClock{now: t0}
	err := Run(context.Background(), &FixedDelay{Attempts: 2}, clk, func(context.Context, int) error { return errBoom }, nil)
	if !errors.Is(err, ErrExhausted) || len(clk.waits) != 0 {
		t.Fatalf("err=%v waits=%v", err, clk.waits)
	}
}

func TestExhaustedErrorFormatting(t *testing.T) {
	for _, tc := range []struct {
		e    *ExhaustedError
		want string
	}{
		{&ExhaustedError{Strategy: "fixed-delay (3 attempts, 10s delay)", Attempts: 3, Last: errBoom},
			"restart strategy fixed-delay (3 attempts, 10s delay) exhausted after 3 restarts; last failure: errBoom"},
		{&ExhaustedError{Strategy: "none", Last: errBoom}, "restart strategy none does not restart; failure: errBoom"},
		{&ExhaustedError{Strategy: "none"}, "restart strategy none does not restart"},
		{&ExhaustedError{Strategy: "fixed-delay (0 attempts, 0s delay)"}, "restart strategy fixed-delay (0 attempts, 0s delay) exhausted after 0 restarts"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	if !errors.Is(&ExhaustedError{}, ErrExhausted) {
		t.Error("ExhaustedError does not match ErrExhausted")
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 500 * time.Millisecond: "500ms", time.Minute: "1m", time.Hour: "1h",
		90 * time.Minute: "1h30m", 90 * time.Second: "1m30s", time.Hour + time.Second: "1h0m1s",
		time.Duration(math.MaxInt64): "2562047h47m16.854775807s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%d) = %q, want %q", d, got, want)
		}
	}
}
