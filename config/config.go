package config

import (
	"errors"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Config is a set of explicitly configured options: canonical key -> value
// text. Values are parsed and checked when they are set, and stored in
// canonical form (aliases resolved, enum values in their canonical case,
// durations and sizes re-rendered, e.g. "1m30s" -> "90 s"), so reading never
// fails. Options not set read as their defaults.
//
// A Config is safe for concurrent use. The zero value is an empty Config; a
// nil *Config reads as all defaults.
type Config struct {
	mu     sync.RWMutex
	values map[string]string
}

// New returns an empty Config.
func New() *Config { return &Config{values: map[string]string{}} }

// Set sets the option named key (its canonical key or an alias) to value,
// after parsing and checking the value. An unknown key fails with an *Error
// wrapping ErrUnknownOption and, if a registered key is close, a suggestion;
// a bad value fails with an *Error wrapping ErrInvalidValue. On failure the
// Config is unchanged.
func (c *Config) Set(key, value string) error {
	canon, text, err := normalize(key, value)
	if err != nil {
		return err
	}
	c.setAll(map[string]string{canon: text})
	return nil
}

// setAll stores staged (canonical key -> canonical text) in one step.
func (c *Config) setAll(staged map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.values == nil {
		c.values = map[string]string{}
	}
	maps.Copy(c.values, staged)
}

// normalize resolves key and checks value, returning the canonical key and
// canonical value text.
func normalize(key, value string) (string, string, error) {
	k := strings.TrimSpace(key)
	m, ok := lookupMeta(k)
	if !ok {
		return "", "", &Error{Key: k, Value: value, Reason: "unknown option",
			Suggestion: suggest(k, allKeys()), kind: ErrUnknownOption}
	}
	text, err := m.normalize(value)
	if err != nil {
		return "", "", invalid(k, value, err.Error())
	}
	return m.key, text, nil
}

// SetPairs sets options from "key=value" strings, as given to -D flags. The
// key ends at the first '='; the value may contain further '='. Later pairs
// override earlier ones. Every pair is checked and all problems are returned
// together (errors.Join); if there is any, the Config is unchanged.
func (c *Config) SetPairs(pairs []string) error {
	var errs []error
	staged := map[string]string{}
	for _, p := range pairs {
		key, value, found := strings.Cut(p, "=")
		if !found {
			errs = append(errs, &Error{Value: p, Reason: "expected key=value", kind: ErrMalformedPair})
			continue
		}
		if strings.TrimSpace(key) == "" {
			errs = append(errs, &Error{Value: p, Reason: "empty key", kind: ErrMalformedPair})
			continue
		}
		canon, text, err := normalize(key, value)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		staged[canon] = text
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	c.setAll(staged)
	return nil
}

// Unset removes an explicit setting (by canonical key or alias), so the
// option reads as its default again. Unknown keys are ignored.
func (c *Config) Unset(key string) {
	m, ok := lookupMeta(strings.TrimSpace(key))
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.values, m.key)
}

func (c *Config) raw(key string) (string, bool) {
	if c == nil {
		return "", false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.values[key]
	return v, ok
}

// Get returns the option's configured value, or its default if it is not
// set (T's zero value for an option without a default; use Lookup to tell
// "unset" apart).
func Get[T any](c *Config, o Option[T]) T {
	v, _ := Lookup(c, o)
	return v
}

// Lookup returns the option's configured value and true, or, if the option
// is not set, what Get returns and false. Use it for options that are unset
// by default, such as execution.checkpointing.interval.
func Lookup[T any](c *Config, o Option[T]) (T, bool) {
	if raw, ok := c.raw(o.m.key); ok {
		return o.value(raw), true
	}
	return o.def, false
}

// Clone returns an independent copy.
func (c *Config) Clone() *Config {
	out := New()
	if c == nil {
		return out
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for k, v := range c.values {
		out.values[k] = v
	}
	return out
}

// Keys returns the canonical keys of the explicitly set options, sorted.
func (c *Config) Keys() []string {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	keys := make([]string, 0, len(c.values))
	for k := range c.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Map returns the explicitly set options as canonical key -> canonical
// value text.
func (c *Config) Map() map[string]string {
	out := map[string]string{}
	if c == nil {
		return out
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for k, v := range c.values {
		out[k] = v
	}
	return out
}

// String renders the explicitly set options on one line for logging, sorted
// by key: `execution.checkpointing.interval="10 s" parallelism.default=4`.
// Values containing blanks or quotes are quoted.
func (c *Config) String() string {
	var b strings.Builder
	for i, k := range c.Keys() {
		if i > 0 {
			b.WriteByte(' ')
		}
		v, _ := c.raw(k)
		b.WriteString(k)
		b.WriteByte('=')
		if v == "" || strings.ContainsAny(v, " \t\n\"'=") {
			v = strconv.Quote(v)
		}
		b.WriteString(v)
	}
	return b.String()
}
