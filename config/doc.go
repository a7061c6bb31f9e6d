// Package config declares Weir's configuration options and reads, checks
// and serves their values.
//
// Weir's users come from Apache Flink, so every option carries Flink's key
// where the meaning is the same (parallelism.default,
// execution.checkpointing.interval, restart-strategy.type, ...), Flink's
// older keys are accepted as aliases, and defaults are Flink's unless an
// option's description says why Weir differs. Each description names the
// Flink class the default comes from.
//
// # What this package owns
//
//   - The options themselves: exported variables grouped by area in
//     pipeline.go, checkpointing.go, restart.go, network.go, state.go and
//     rest.go; All lists them for `weir help config` and documentation.
//   - Parsing: Config.Set (one key), Config.SetPairs ("key=value" strings
//     from -D flags) and Config.LoadYAML (Flink's config.yaml, nested or
//     flat keys). A value is parsed and checked when it is set, so a bad
//     value is refused before anything runs, with an error naming the
//     option, the value and the reason (examples below).
//   - Cross-option checks: Config.Validate refuses impossible combinations
//     (see its documentation for the list and their sources).
//   - Derived values that follow Flink's rules: RestartStrategyType,
//     DefaultRestartStrategy, CheckpointingEnabled, EffectiveRestBindAddress.
//   - What Weir cannot carry out: CheckUnsupported refuses settings Weir
//     knows but does not implement (unaligned checkpoints, incremental
//     checkpoints or local recovery with the hashmap backend), and Unused
//     lists explicitly set options that will have no effect (heartbeat.*,
//     which needs a cluster Weir does not run yet, and the keys of Flink's
//     shipped config.yaml that a Weir run has no use for, declared in
//     notapplicable.go, among others), for the caller to log as warnings.
//     No option is silently ignored.
//
// It does not act on the values: other packages read them with Get and
// Lookup (failover.FromConfig, for example, builds the restart strategy from
// the restart-strategy.* options), or check a plain value against an
// option's rules with Option.Parse.
//
// # Errors
//
// Messages name the option, the value and the reason:
//
//	invalid value "abc" for option parallelism.default: not an integer
//	unknown option "paralelism.default" (did you mean "parallelism.default"?)
//
// Every refusal wraps one sentinel: ErrUnknownOption, ErrInvalidValue,
// ErrMalformedPair or ErrConflict. errors.As gives an *Error (Key, Value,
// Reason, Suggestion) or a *ConflictError (Settings, Reason). SetPairs,
// LoadYAML and Validate report all problems at once with errors.Join, and
// change nothing if there is any.
//
// # Durations
//
// As Flink's TimeUtils.parseDuration: a whole non-negative number, optional
// blanks, and an optional case-insensitive unit. A bare number is
// milliseconds.
//
//	ns, nano, nanos, nanosecond, nanoseconds
//	µs, us, micro, micros, microsecond, microseconds
//	ms, milli, millis, millisecond, milliseconds
//	s, sec, secs, second, seconds
//	m, min, minute, minutes
//	h, hour, hours
//	d, day, days
//
// Examples: "100 ms", "100ms", "100", "10 s", "1 min", "1m", "2 h", "1 d".
// Weir also accepts Go's compound and fractional forms ("1m30s", "1h30m",
// "1.5s"), which Flink refuses; there is no text the two syntaxes read
// differently, so this extension is safe. Durations are never negative and
// must fit Go's time.Duration (about 292 years). Values are stored and shown
// in the largest exact unit ("90 s", "10 min").
//
// # Memory sizes
//
// As Flink's MemorySize.parse: a whole non-negative number, optional blanks,
// and an optional case-insensitive binary unit. A bare number is bytes.
//
//	b, bytes
//	k, kb, kibibytes   (1024 bytes)
//	m, mb, mebibytes   (1024 kb)
//	g, gb, gibibytes   (1024 mb)
//	t, tb, tebibytes   (1024 gb)
//
// Examples: "32kb", "32 kb", "32k", "1 mb", "1g", "4096". Fractions ("1.5g")
// are refused, as in Flink.
//
// # Other values
//
// Integers are decimal with an optional sign; IntOption values are 32-bit
// (Flink's Integer). Booleans are "true" or "false" in any case (not YAML's
// "yes"/"on"). Enum values match case-insensitively and are stored in their
// canonical spelling: upper case for Flink enums (EXACTLY_ONCE), lower case
// for Flink's shortcut names (hashmap, exponential-delay); some accept
// aliases (heap -> hashmap, rocksdb -> pebble, none/off -> disable,
// fixeddelay -> fixed-delay). Strings are trimmed.
//
// # Adding an option
//
//  1. Pick Flink's key if Flink has the knob; otherwise a key in Flink's
//     style, and say "Weir-only" in the description.
//  2. Declare an exported variable in the file for its area with the
//     constructor for its type (IntOption, DurationOption, EnumOption,
//     OptionalDurationOption for "unset means off", ...), passing the
//     default, a description that ends with the Flink class the default
//     comes from (or why Weir differs), and checks such as AtLeast(1),
//     Between(1, 32768), SizeBetween, PowerOfTwo, NotEmpty.
//  3. Chain .WithAliases(...) with Flink's deprecated keys.
//  4. If it constrains other options, add the rule to Config.Validate.
//  5. If nothing reads it yet, or only in some setups, make Unused (or, if
//     running without it would be wrong, CheckUnsupported) say so.
//
// Declaring registers the option globally; a duplicate key or alias panics
// at start-up. Options must be declared as package-level variables (so they
// are registered before any Config is read). The test that every registered
// default parses and passes its own checks covers new options automatically.
package config
