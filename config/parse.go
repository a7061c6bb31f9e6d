package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// parseError is a parser's refusal; its text becomes Error.Reason.
type parseError string

func (e parseError) Error() string { return string(e) }

// ---------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------

// durationUnits maps every accepted unit label (lower case) to its length.
// The labels are those of Flink's TimeUtils (singular and plural forms), plus
// "us", which Go spells that way and Flink writes "µs".
var durationUnits = map[string]time.Duration{
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"h": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"ms": time.Millisecond, "milli": time.Millisecond, "millis": time.Millisecond,
	"millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"µs": time.Microsecond, "μs": time.Microsecond, "us": time.Microsecond,
	"micro": time.Microsecond, "micros": time.Microsecond,
	"microsecond": time.Microsecond, "microseconds": time.Microsecond,
	"ns": time.Nanosecond, "nano": time.Nanosecond, "nanos": time.Nanosecond,
	"nanosecond": time.Nanosecond, "nanoseconds": time.Nanosecond,
}

const durationUnitHint = "use ns, us, ms, s, min, h or d"

// ParseDuration parses a duration the way Flink's TimeUtils.parseDuration
// does: a non-negative whole number, optional blanks, and an optional unit
// label, case-insensitive ("100 ms", "100ms", "10 s", "1 min", "1m", "2 h",
// "1 d", "3 days"). A bare number is milliseconds.
//
// As a Weir extension it also accepts Go's time.ParseDuration syntax when
// that is the only way to read the text: compound or fractional values such
// as "1m30s", "1h30m" or "1.5s" (no blanks inside). This is unambiguous:
// every unit both syntaxes know (ns, us/µs, ms, s, m, h) means the same in
// both, and any text Flink's syntax accepts is read by Flink's rules. Signs
// are refused in both forms (durations are never negative here).
func ParseDuration(text string) (time.Duration, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return 0, parseError("empty duration")
	}
	digits := leadingDigits(s)
	if digits == 0 {
		return 0, parseError("not a duration: must start with a number, as in \"10 s\"")
	}
	unit := strings.ToLower(strings.TrimSpace(s[digits:]))
	n, err := strconv.ParseUint(s[:digits], 10, 63)
	if err != nil {
		return 0, parseError("duration out of range")
	}
	if unit == "" {
		return scaleDuration(n, time.Millisecond)
	}
	if u, ok := durationUnits[unit]; ok {
		return scaleDuration(n, u)
	}
	// Not Flink syntax; try Go's compound/fractional syntax.
	if !strings.ContainsAny(s, " \t") {
		if d, err := time.ParseDuration(s); err == nil {
			return d, nil
		}
		if goDurationShape(s) {
			return 0, parseError("duration out of range")
		}
	}
	if strings.HasPrefix(unit, ".") {
		return 0, parseError("fractions are written without blanks, as in \"1.5s\", or in a smaller unit, as in \"1500 ms\"")
	}
	return 0, parseError("unknown time unit \"" + unit + "\" (" + durationUnitHint + ")")
}

// goDurationShape reports whether s is made only of number+unit groups with
// units Go knows, i.e. whether a time.ParseDuration failure can only have
// been an overflow.
func goDurationShape(s string) bool {
	for s != "" {
		i, dots := 0, 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			if s[i] == '.' {
				dots++
			}
			i++
		}
		if i == 0 || dots > 1 {
			return false
		}
		s = s[i:]
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		switch s[:j] {
		case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
		default:
			return false
		}
		s = s[j:]
	}
	return true
}

func scaleDuration(n uint64, unit time.Duration) (time.Duration, error) {
	if n > uint64(math.MaxInt64/int64(unit)) {
		return 0, parseError("duration out of range")
	}
	return time.Duration(n) * unit, nil
}

func leadingDigits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// FormatDuration renders d the way Flink's TimeUtils.formatWithHighestUnit
// does: a whole number in the largest unit that loses nothing ("100 ms",
// "10 s", "10 min", "1 h", "1 d", "0 ms"). ParseDuration reads it back.
// Negative durations are rendered with Go's syntax (they never parse).
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return d.String()
	}
	if d == 0 {
		return "0 ms"
	}
	units := []struct {
		label string
		size  time.Duration
	}{
		{"d", 24 * time.Hour}, {"h", time.Hour}, {"min", time.Minute},
		{"s", time.Second}, {"ms", time.Millisecond}, {"µs", time.Microsecond},
	}
	for _, u := range units {
		if d%u.size == 0 {
			return strconv.FormatInt(int64(d/u.size), 10) + " " + u.label
		}
	}
	return strconv.FormatInt(int64(d), 10) + " ns"
}

// ---------------------------------------------------------------------------
// Memory sizes
// ---------------------------------------------------------------------------

var sizeUnits = map[string]int64{
	"b": 1, "bytes": 1,
	"k": 1 << 10, "kb": 1 << 10, "kibibytes": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mebibytes": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gibibytes": 1 << 30,
	"t": 1 << 40, "tb": 1 << 40, "tebibytes": 1 << 40,
}

// ParseMemorySize parses a size in bytes the way Flink's MemorySize.parse
// does: a non-negative whole number, optional blanks, and an optional unit,
// case-insensitive. Units are binary: b/bytes, k/kb/kibibytes (1024),
// m/mb/mebibytes, g/gb/gibibytes, t/tb/tebibytes. A bare number is bytes.
// Examples: "32kb", "32 kb", "32k", "1 mb", "1g", "4096".
func ParseMemorySize(text string) (int64, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return 0, parseError("empty memory size")
	}
	digits := leadingDigits(s)
	if digits == 0 {
		return 0, parseError("not a memory size: must start with a number, as in \"32 kb\"")
	}
	n, err := strconv.ParseInt(s[:digits], 10, 64)
	if err != nil {
		return 0, parseError("memory size out of range")
	}
	unit := strings.ToLower(strings.TrimSpace(s[digits:]))
	if strings.HasPrefix(unit, ".") {
		return 0, parseError("memory sizes are whole numbers; use a smaller unit, as in \"1536 mb\"")
	}
	mult := int64(1)
	if unit != "" {
		m, ok := sizeUnits[unit]
		if !ok {
			return 0, parseError("unknown memory unit \"" + unit + "\" (use b, kb, mb, gb or tb)")
		}
		mult = m
	}
	if n > math.MaxInt64/mult {
		return 0, parseError("memory size out of range")
	}
	return n * mult, nil
}

// FormatMemorySize renders a byte count in the largest binary unit that
// loses nothing ("32 kb", "1 gb", "100 bytes"), like Flink's
// MemorySize.toString. ParseMemorySize reads it back.
func FormatMemorySize(bytes int64) string {
	if bytes <= 0 {
		return strconv.FormatInt(bytes, 10) + " bytes"
	}
	for _, u := range []struct {
		label string
		size  int64
	}{{"tb", 1 << 40}, {"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}} {
		if bytes%u.size == 0 {
			return strconv.FormatInt(bytes/u.size, 10) + " " + u.label
		}
	}
	return strconv.FormatInt(bytes, 10) + " bytes"
}

// ---------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------

// parseInt32 accepts a decimal integer with an optional sign in the range of
// Flink's Integer (Weir options declared with IntOption are 32-bit in
// meaning, whatever the width of Go's int).
func parseInt32(text string) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, parseError("integer out of range (at most 2147483647)")
		}
		return 0, parseError("not an integer")
	}
	return int(n), nil
}

func parseInt64(text string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, parseError("integer out of range")
		}
		return 0, parseError("not an integer")
	}
	return n, nil
}

// parseBool accepts "true" or "false" in any case, as Flink does; YAML 1.1
// spellings such as "yes" or "on" are refused.
func parseBool(text string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, parseError("not a boolean (use true or false)")
}

// parseFloat accepts a finite decimal number.
func parseFloat(text string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, parseError("not a number")
	}
	return f, nil
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
