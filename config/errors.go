package config

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error this package returns for a bad key, value,
// pair or combination wraps exactly one of them, so callers can branch with
// errors.Is without parsing messages; errors.As with *Error or
// *ConflictError gives the details.
var (
	// ErrUnknownOption: the key is neither an option's key nor one of its
	// aliases. The *Error carries a "did you mean" suggestion when a
	// registered key is close enough.
	ErrUnknownOption = errors.New("unknown option")

	// ErrInvalidValue: the key is known but the value does not parse, or
	// parses but fails the option's own checks (range, power of two, ...).
	ErrInvalidValue = errors.New("invalid value")

	// ErrMalformedPair: a "key=value" string (from a -D flag) has no '=' or
	// an empty key.
	ErrMalformedPair = errors.New("malformed option pair")

	// ErrConflict: each option is valid on its own but the combination is
	// impossible; returned (joined) by Config.Validate.
	ErrConflict = errors.New("conflicting options")
)

// Error describes one refused key or value. Key is the key as the user wrote
// it (which may be a deprecated alias), Value the raw value, Reason why it
// was refused in words meant for the user.
type Error struct {
	Key    string
	Value  string
	Reason string
	// Suggestion is the registered key closest to an unknown Key, or "".
	Suggestion string

	kind error // one of the sentinels above
}

// Error formats as
//
//	invalid value "abc" for option parallelism.default: not an integer
//	unknown option "paralelism.default" (did you mean "parallelism.default"?)
//	malformed option pair "foo" (expected key=value)
func (e *Error) Error() string {
	switch e.kind {
	case ErrUnknownOption:
		if e.Suggestion != "" {
			return fmt.Sprintf("unknown option %q (did you mean %q?)", e.Key, e.Suggestion)
		}
		return fmt.Sprintf("unknown option %q", e.Key)
	case ErrMalformedPair:
		return fmt.Sprintf("malformed option pair %q (%s)", e.Value, e.Reason)
	default:
		return fmt.Sprintf("invalid value %q for option %s: %s", e.Value, e.Key, e.Reason)
	}
}

// Unwrap returns the sentinel (ErrUnknownOption, ErrInvalidValue or
// ErrMalformedPair) so errors.Is works.
func (e *Error) Unwrap() error {
	if e.kind == nil {
		return ErrInvalidValue
	}
	return e.kind
}

func invalid(key, value, reason string) *Error {
	return &Error{Key: key, Value: value, Reason: reason, kind: ErrInvalidValue}
}

// ConflictError is an impossible combination of individually valid options,
// found by Config.Validate. Settings lists the options involved as
// "key=value" in the order they are mentioned.
type ConflictError struct {
	Settings []string
	Reason   string
}

// Error formats as
//
//	conflicting options heartbeat.timeout=5 s, heartbeat.interval=10 s: heartbeat.timeout must be at least heartbeat.interval
func (e *ConflictError) Error() string {
	return fmt.Sprintf("conflicting options %s: %s", strings.Join(e.Settings, ", "), e.Reason)
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }
