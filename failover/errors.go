package failover

import (
	"errors"
	"strconv"
)

// ErrExhausted is the sentinel for "the restart strategy gave up": every
// *ExhaustedError matches it with errors.Is, so callers can tell a job that
// failed for good after restarts from one that was cancelled or refused.
// It is never returned bare; use errors.As to get the *ExhaustedError (the
// strategy, the restart count and the last cause).
var ErrExhausted = errors.New("restart strategy exhausted")

// ErrNoRestart marks a failure that must not be retried whatever the
// strategy says: a refused configuration, a user cancel, a job that can never
// succeed. Run returns any error wrapping it at once, without consulting the
// strategy. Wrap with fmt.Errorf("...: %w", ErrNoRestart) or with NoRestart.
var ErrNoRestart = errors.New("failure is not restartable")

// NoRestart returns err marked as non-restartable: its message is err's,
// errors.Is(result, ErrNoRestart) is true and errors.Unwrap gives err back.
// NoRestart(nil) is nil.
func NoRestart(err error) error {
	if err == nil {
		return nil
	}
	return &noRestartError{err: err}
}

type noRestartError struct{ err error }

func (e *noRestartError) Error() string        { return e.err.Error() }
func (e *noRestartError) Unwrap() error        { return e.err }
func (e *noRestartError) Is(target error) bool { return target == ErrNoRestart }

// ExhaustedError is returned by the job (and by Run) when the restart
// strategy refuses another restart. It matches ErrExhausted with errors.Is and
// unwraps to the last failure.
type ExhaustedError struct {
	Strategy string // the strategy's Describe()
	Attempts int    // restarts performed before giving up
	Last     error  // the failure that was not restarted
}

// Error is one line, e.g.
//
//	restart strategy fixed-delay (3 attempts, 10s delay) exhausted after 3 restarts; last failure: <cause>
//	restart strategy none does not restart; failure: <cause>
func (e *ExhaustedError) Error() string {
	var msg string
	if e.Strategy == TypeNone {
		msg = "restart strategy none does not restart"
		if e.Last != nil {
			msg += "; failure: " + e.Last.Error()
		}
		return msg
	}
	msg = "restart strategy " + e.Strategy + " exhausted after " + strconv.Itoa(e.Attempts) + " restart"
	if e.Attempts != 1 {
		msg += "s"
	}
	if e.Last != nil {
		msg += "; last failure: " + e.Last.Error()
	}
	return msg
}

// Unwrap returns the last failure.
func (e *ExhaustedError) Unwrap() error { return e.Last }

// Is reports whether target is ErrExhausted.
func (e *ExhaustedError) Is(target error) bool { return target == ErrExhausted }
