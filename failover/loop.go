package failover

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Clock is the time source of Run, injectable for tests.
type Clock interface {
	// Now returns the current time; it is passed to Strategy.NotifyFailure.
	Now() time.Time
	// After delivers once d has elapsed, like time.After.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real Clock (time.Now, time.After).
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Run owns the retry cycle, so every caller shares one implementation.
//
// It calls attempt with n = 0 for the first execution and n = k for the k-th
// restart, until attempt returns nil (Run returns nil) or an error that ends
// the cycle:
//
//   - an error wrapping ErrNoRestart is returned as is, at once, without
//     consulting the strategy;
//   - if ctx is done when attempt fails, the failure is not recorded and Run
//     returns ctx.Err() (joined with the failure unless it already matches);
//   - otherwise the failure goes to s.NotifyFailure(clk.Now(), err); if
//     s.CanRestart() is false Run returns an *ExhaustedError (matching
//     ErrExhausted, unwrapping to err, Attempts = restarts performed).
//
// Before each restart Run calls onRestart(n, delay, cause) (for logs and
// metrics; nil is allowed), where n is the number the next attempt will get
// and delay is s.Backoff(), then waits delay on clk. ctx cancels the wait
// promptly and Run returns ctx.Err(); ctx is also checked before every
// attempt. A nil clk means SystemClock; a nil s means None().
//
// Failures are reported at clk.Now(), except that a failure is never reported
// at or before the moment its attempt's restart was due (previous failure
// time + delay, or later if clk says so): it is then reported 1ns after that
// moment. With a real clock this changes nothing; with a fake clock that does
// not advance, it keeps time consistent with the waits Run made, so that
// exponential-delay never merges a restarted attempt's failure into the
// restart that started it (which would loop with zero delay).
//
// s must be fresh or owned by this loop: Run is its only caller while running.
func Run(ctx context.Context, s Strategy, clk Clock, attempt func(ctx context.Context, n int) error,
	onRestart func(n int, delay time.Duration, cause error)) error {
	if s == nil {
		s = None()
	}
	if clk == nil {
		clk = SystemClock{}
	}
	var restartAt time.Time // when the current attempt's restart was due; zero for the first
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := attempt(ctx, n)
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrNoRestart) {
			return err
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			if errors.Is(err, ctxErr) {
				return err
			}
			return fmt.Errorf("%w; last failure: %w", ctxErr, err)
		}
		failedAt := clk.Now()
		if n > 0 && !failedAt.After(restartAt) {
			failedAt = restartAt.Add(time.Nanosecond)
		}
		s.NotifyFailure(failedAt, err)
		if !s.CanRestart() {
			return &ExhaustedError{Strategy: s.Describe(), Attempts: n, Last: err}
		}
		delay := s.Backoff()
		if onRestart != nil {
			onRestart(n+1, delay, err)
		}
		if delay > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-clk.After(delay):
			}
		}
		restartAt = failedAt.Add(delay)
		if now := clk.Now(); now.After(restartAt) {
			restartAt = now
		}
	}
}
