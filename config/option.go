package config

import (
	"cmp"
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"sync"
	"time"
)

// Option declares one configuration knob: its key, deprecated or alternative
// keys (aliases), its default (which may be absent: "unset"), a description,
// and how a raw string value is parsed and checked. Options are declared as
// package-level variables with the constructors below (IntOption,
// DurationOption, ...), which also register them so that Config.Set, LoadYAML
// and All know them. Read a value with Get or Lookup.
//
// An Option is a small value; copies share their registration.
type Option[T any] struct {
	m      *meta
	def    T
	parse  func(string) (T, error)
	format func(T) string
	checks []func(T) error
}

// meta is the type-independent part of an option, kept in the registry.
type meta struct {
	key         string
	aliases     []string
	typ         string // "int", "duration", ... for help output
	hasDefault  bool
	defaultText string
	desc        string
	values      []string          // enum: canonical values
	valueAlias  map[string]string // enum: lower-case alias -> canonical
	// normalize parses and checks raw, returning the canonical text stored
	// in a Config, or a reason for refusal.
	normalize func(raw string) (string, error)
}

// Key returns the option's canonical key, e.g. "parallelism.default".
func (o Option[T]) Key() string { return o.m.key }

// Aliases returns the deprecated or alternative keys accepted for the
// option, e.g. "state.checkpoints.dir" for "execution.checkpointing.dir".
func (o Option[T]) Aliases() []string { return append([]string(nil), o.m.aliases...) }

// Description returns the option's description.
func (o Option[T]) Description() string { return o.m.desc }

// Default returns the default value and whether the option has one. An
// option without a default is "unset" until configured (see Lookup).
func (o Option[T]) Default() (T, bool) { return o.def, o.m.hasDefault }

// Parse reads raw as a value of this option, the way Set does: it parses
// the text, applies the option's checks and resolves value aliases (for an
// enum, "none" becomes "disable"). A refusal is an *Error wrapping
// ErrInvalidValue that names the option's key. Parse lets code that receives
// a value outside a Config (a plain-value struct, a wire message) apply the
// option's own rules instead of repeating them.
func (o Option[T]) Parse(raw string) (T, error) {
	text, err := o.m.normalize(raw)
	if err != nil {
		var zero T
		return zero, invalid(o.m.key, raw, err.Error())
	}
	return o.value(text), nil
}

// WithAliases registers further keys that Set, SetPairs and LoadYAML accept
// for the option (Flink's deprecated keys). It returns o, so it chains onto a
// constructor in a variable declaration. It panics if an alias is already
// taken, like a duplicate key.
func (o Option[T]) WithAliases(aliases ...string) Option[T] {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for _, a := range aliases {
		if _, taken := reg.byKey[a]; taken {
			panic(fmt.Sprintf("config: alias %q of %q is already registered", a, o.m.key))
		}
		reg.byKey[a] = o.m
		o.m.aliases = append(o.m.aliases, a)
	}
	return o
}

// value parses a stored canonical text. Stored texts were produced by the
// registered option's own parser, so failure means the same key was declared
// twice with different types: a programming error.
func (o Option[T]) value(raw string) T {
	v, err := o.parse(raw)
	if err != nil {
		panic(fmt.Sprintf("config: stored value %q of option %q does not parse as this option: %v", raw, o.m.key, err))
	}
	return v
}

// ---------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------

var reg = struct {
	mu    sync.RWMutex
	byKey map[string]*meta // canonical keys and aliases
	all   []*meta
}{byKey: map[string]*meta{}}

func lookupMeta(key string) (*meta, bool) {
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	m, ok := reg.byKey[key]
	return m, ok
}

// allKeys returns every canonical key and alias, for suggestions.
func allKeys() []string {
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	keys := make([]string, 0, len(reg.byKey))
	for k := range reg.byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func register[T any](key, typ string, def T, hasDefault bool, desc string,
	parse func(string) (T, error), format func(T) string, checks []func(T) error) Option[T] {
	if key == "" || strings.TrimSpace(key) != key {
		panic(fmt.Sprintf("config: invalid option key %q", key))
	}
	o := Option[T]{def: def, parse: parse, format: format, checks: checks}
	o.m = &meta{key: key, typ: typ, hasDefault: hasDefault, desc: desc}
	if hasDefault {
		o.m.defaultText = format(def)
	}
	o.m.normalize = func(raw string) (string, error) {
		v, err := parse(raw)
		if err != nil {
			return "", err
		}
		for _, check := range checks {
			if err := check(v); err != nil {
				return "", err
			}
		}
		return format(v), nil
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if _, taken := reg.byKey[key]; taken {
		panic(fmt.Sprintf("config: option %q is already registered", key))
	}
	reg.byKey[key] = o.m
	reg.all = append(reg.all, o.m)
	return o
}

// OptionInfo describes a registered option for `weir help config` and for
// generated documentation.
type OptionInfo struct {
	Key     string
	Aliases []string
	// Type is one of int, int64, bool, string, float, duration,
	// memory-size, enum.
	Type string
	// Default is the default rendered as it would be written in a config
	// file ("100 ms", "32 kb", "EXACTLY_ONCE"), or "(none)" if the option
	// is unset by default; HasDefault tells the two apart.
	Default    string
	HasDefault bool
	// Values lists an enum's canonical values; ValueAliases maps accepted
	// alternative spellings to them.
	Values       []string
	ValueAliases map[string]string
	Description  string
}

// All returns every registered option, sorted by key.
func All() []OptionInfo {
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	out := make([]OptionInfo, 0, len(reg.all))
	for _, m := range reg.all {
		info := OptionInfo{
			Key:         m.key,
			Aliases:     append([]string(nil), m.aliases...),
			Type:        m.typ,
			Default:     "(none)",
			HasDefault:  m.hasDefault,
			Values:      append([]string(nil), m.values...),
			Description: m.desc,
		}
		if m.hasDefault {
			info.Default = m.defaultText
		}
		if len(m.valueAlias) > 0 {
			info.ValueAliases = make(map[string]string, len(m.valueAlias))
			for k, v := range m.valueAlias {
				info.ValueAliases[k] = v
			}
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// ---------------------------------------------------------------------------
// Constructors
// ---------------------------------------------------------------------------

// IntOption declares a 32-bit integer option (Flink's Integer): a decimal
// number with an optional sign.
func IntOption(key string, def int, desc string, checks ...func(int) error) Option[int] {
	return register(key, "int", def, true, desc, parseInt32, formatInt, checks)
}

// Int64Option declares a 64-bit integer option (Flink's Long).
func Int64Option(key string, def int64, desc string, checks ...func(int64) error) Option[int64] {
	return register(key, "int64", def, true, desc, parseInt64, formatInt64, checks)
}

// BoolOption declares a boolean option: "true" or "false", any case.
func BoolOption(key string, def bool, desc string) Option[bool] {
	return register(key, "bool", def, true, desc, parseBool, formatBool, nil)
}

// StringOption declares a string option. Values are taken verbatim except
// for surrounding blanks, which are trimmed.
func StringOption(key, def, desc string, checks ...func(string) error) Option[string] {
	return register(key, "string", def, true, desc, parseString, identity, checks)
}

// OptionalStringOption declares a string option that is unset by default.
func OptionalStringOption(key, desc string, checks ...func(string) error) Option[string] {
	return register(key, "string", "", false, desc, parseString, identity, checks)
}

// FloatOption declares a floating-point option (Flink's Double).
func FloatOption(key string, def float64, desc string, checks ...func(float64) error) Option[float64] {
	return register(key, "float", def, true, desc, parseFloat, formatFloat, checks)
}

// DurationOption declares a duration option; see ParseDuration for the
// syntax.
func DurationOption(key string, def time.Duration, desc string, checks ...func(time.Duration) error) Option[time.Duration] {
	return register(key, "duration", def, true, desc, ParseDuration, FormatDuration, checks)
}

// OptionalDurationOption declares a duration option that is unset by
// default, for knobs whose absence means something (e.g. checkpointing off).
func OptionalDurationOption(key, desc string, checks ...func(time.Duration) error) Option[time.Duration] {
	return register(key, "duration", 0, false, desc, ParseDuration, FormatDuration, checks)
}

// MemorySizeOption declares a memory-size option holding bytes; see
// ParseMemorySize for the syntax.
func MemorySizeOption(key string, def int64, desc string, checks ...func(int64) error) Option[int64] {
	return register(key, "memory-size", def, true, desc, ParseMemorySize, FormatMemorySize, checks)
}

// OptionalMemorySizeOption declares a memory-size option that is unset by
// default.
func OptionalMemorySizeOption(key, desc string, checks ...func(int64) error) Option[int64] {
	return register(key, "memory-size", 0, false, desc, ParseMemorySize, FormatMemorySize, checks)
}

// EnumOption declares an option whose value is one of values. Matching is
// case-insensitive, as in Flink; the stored and returned value is always the
// canonical spelling from values (Flink's enum options are upper case, e.g.
// EXACTLY_ONCE; its shortcut names are lower case, e.g. hashmap). aliases
// maps further accepted spellings to canonical values, e.g.
// {"heap": "hashmap"}; it may be nil.
func EnumOption(key, def string, values []string, aliases map[string]string, desc string) Option[string] {
	return enumOption(key, def, true, values, aliases, desc)
}

// OptionalEnumOption is EnumOption without a default.
func OptionalEnumOption(key string, values []string, aliases map[string]string, desc string) Option[string] {
	return enumOption(key, "", false, values, aliases, desc)
}

func enumOption(key, def string, hasDefault bool, values []string, aliases map[string]string, desc string) Option[string] {
	lookup := make(map[string]string, len(values)+len(aliases))
	for _, v := range values {
		lookup[strings.ToLower(v)] = v
	}
	valueAlias := make(map[string]string, len(aliases))
	for a, v := range aliases {
		if _, ok := lookup[strings.ToLower(v)]; !ok {
			panic(fmt.Sprintf("config: alias %q of option %q maps to unknown value %q", a, key, v))
		}
		lookup[strings.ToLower(a)] = lookup[strings.ToLower(v)]
		valueAlias[strings.ToLower(a)] = lookup[strings.ToLower(v)]
	}
	if hasDefault {
		if c, ok := lookup[strings.ToLower(def)]; !ok || c != def {
			panic(fmt.Sprintf("config: default %q of option %q is not one of its canonical values", def, key))
		}
	}
	accepted := strings.Join(values, ", ")
	parse := func(raw string) (string, error) {
		if c, ok := lookup[strings.ToLower(strings.TrimSpace(raw))]; ok {
			return c, nil
		}
		return "", parseError("must be one of " + accepted)
	}
	o := register(key, "enum", def, hasDefault, desc, parse, identity, nil)
	o.m.values = append([]string(nil), values...)
	o.m.valueAlias = valueAlias
	return o
}

func parseString(raw string) (string, error) { return strings.TrimSpace(raw), nil }
func identity(s string) string               { return s }
func formatInt(n int) string                 { return fmt.Sprint(n) }
func formatInt64(n int64) string             { return fmt.Sprint(n) }
func formatBool(b bool) string               { return fmt.Sprint(b) }

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

// describe renders a bound for a reason: durations in Flink style, the rest
// with fmt.
func describe[T any](v T) string {
	if d, ok := any(v).(time.Duration); ok {
		return FormatDuration(d)
	}
	return fmt.Sprint(v)
}

// AtLeast refuses values below min: "must be at least <min>".
func AtLeast[T cmp.Ordered](min T) func(T) error {
	return func(v T) error {
		if v < min {
			return parseError("must be at least " + describe(min))
		}
		return nil
	}
}

// GreaterThan refuses values not above min: "must be greater than <min>".
func GreaterThan[T cmp.Ordered](min T) func(T) error {
	return func(v T) error {
		if v <= min {
			return parseError("must be greater than " + describe(min))
		}
		return nil
	}
}

// Between refuses values outside [min, max]: "must be between <min> and
// <max>".
func Between[T cmp.Ordered](min, max T) func(T) error {
	return func(v T) error {
		if v < min || v > max {
			return parseError("must be between " + describe(min) + " and " + describe(max))
		}
		return nil
	}
}

// SizeBetween is Between for memory sizes, with the bounds written as sizes
// ("must be between 4 kb and 16 mb").
func SizeBetween(min, max int64) func(int64) error {
	return func(v int64) error {
		if v < min || v > max {
			return parseError("must be between " + FormatMemorySize(min) + " and " + FormatMemorySize(max))
		}
		return nil
	}
}

// SizeAtLeast is AtLeast for memory sizes.
func SizeAtLeast(min int64) func(int64) error {
	return func(v int64) error {
		if v < min {
			return parseError("must be at least " + FormatMemorySize(min))
		}
		return nil
	}
}

// PowerOfTwo refuses values that are not a power of two.
func PowerOfTwo(v int64) error {
	if v <= 0 || bits.OnesCount64(uint64(v)) != 1 {
		return parseError("must be a power of two")
	}
	return nil
}

// NotEmpty refuses the empty string.
func NotEmpty(s string) error {
	if s == "" {
		return parseError("must not be empty")
	}
	return nil
}
