package config

import (
	"math"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	const unknownHint = " (use ns, us, ms, s, min, h or d)"
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		// Flink's TimeUtils syntax.
		{in: "100 ms", want: 100 * time.Millisecond},
		{in: "100ms", want: 100 * time.Millisecond},
		{in: "100", want: 100 * time.Millisecond},
		{in: "  100  ", want: 100 * time.Millisecond},
		{in: "0", want: 0},
		{in: "10 s", want: 10 * time.Second},
		{in: "10s", want: 10 * time.Second},
		{in: "10 sec", want: 10 * time.Second},
		{in: "10 secs", want: 10 * time.Second},
		{in: "10 seconds", want: 10 * time.Second},
		{in: "1 min", want: time.Minute},
		{in: "1m", want: time.Minute},
		{in: "2 minutes", want: 2 * time.Minute},
		{in: "1 MIN", want: time.Minute},
		{in: "2 h", want: 2 * time.Hour},
		{in: "2 hours", want: 2 * time.Hour},
		{in: "1 d", want: 24 * time.Hour},
		{in: "3 days", want: 72 * time.Hour},
		{in: "5 millis", want: 5 * time.Millisecond},
		{in: "5 milliseconds", want: 5 * time.Millisecond},
		{in: "7 µs", want: 7 * time.Microsecond},
		{in: "7us", want: 7 * time.Microsecond},
		{in: "7 micros", want: 7 * time.Microsecond},
		{in: "9 ns", want: 9},
		{in: "9 nanoseconds", want: 9},
		{in: "9223372036854775807 ns", want: math.MaxInt64},
		// Go's compound and fractional syntax (Weir extension).
		{in: "1m30s", want: 90 * time.Second},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "1.5s", want: 1500 * time.Millisecond},
		{in: "1h0m0s", want: time.Hour},
		// Refusals.
		{in: "", err: "empty duration"},
		{in: "   ", err: "empty duration"},
		{in: "abc", err: `not a duration: must start with a number, as in "10 s"`},
		{in: "-1 s", err: `not a duration: must start with a number, as in "10 s"`},
		{in: "-1s", err: `not a duration: must start with a number, as in "10 s"`},
		{in: "+1s", err: `not a duration: must start with a number, as in "10 s"`},
		{in: ".5s", err: `not a duration: must start with a number, as in "10 s"`},
		{in: "10 parsecs", err: `unknown time unit "parsecs"` + unknownHint},
		{in: "10 S S", err: `unknown time unit "s s"` + unknownHint},
		{in: "1d2h", err: `unknown time unit "d2h"` + unknownHint},
		{in: "1.5 s", err: `fractions are written without blanks, as in "1.5s", or in a smaller unit, as in "1500 ms"`},
		{in: "106752 d", err: "duration out of range"},
		{in: "9223372036854775808 ns", err: "duration out of range"},
		{in: "99999999999999999999", err: "duration out of range"},
		{in: "3000000h", err: "duration out of range"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseDuration(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatDurationRoundTrips(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0 ms"},
		{100 * time.Millisecond, "100 ms"},
		{10 * time.Second, "10 s"},
		{90 * time.Second, "90 s"},
		{10 * time.Minute, "10 min"},
		{time.Hour, "1 h"},
		{48 * time.Hour, "2 d"},
		{1500 * time.Microsecond, "1500 µs"},
		{7, "7 ns"},
	}
	for _, tt := range tests {
		got := FormatDuration(tt.d)
		if got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
		back, err := ParseDuration(got)
		if err != nil || back != tt.d {
			t.Errorf("ParseDuration(FormatDuration(%v)) = %v, %v", tt.d, back, err)
		}
	}
}

func TestParseMemorySize(t *testing.T) {
	const unknownHint = " (use b, kb, mb, gb or tb)"
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{in: "32kb", want: 32 << 10},
		{in: "32 kb", want: 32 << 10},
		{in: "32k", want: 32 << 10},
		{in: "32 KB", want: 32 << 10},
		{in: "32 kibibytes", want: 32 << 10},
		{in: "1 mb", want: 1 << 20},
		{in: "1m", want: 1 << 20},
		{in: "1 mebibytes", want: 1 << 20},
		{in: "1g", want: 1 << 30},
		{in: "2 GB", want: 2 << 30},
		{in: "1t", want: 1 << 40},
		{in: "1 tb", want: 1 << 40},
		{in: "4096", want: 4096},
		{in: "10 b", want: 10},
		{in: "10 bytes", want: 10},
		{in: "0", want: 0},
		{in: "", err: "empty memory size"},
		{in: "kb", err: `not a memory size: must start with a number, as in "32 kb"`},
		{in: "-1", err: `not a memory size: must start with a number, as in "32 kb"`},
		{in: "32 kib", err: `unknown memory unit "kib"` + unknownHint},
		{in: "32 kilobytes", err: `unknown memory unit "kilobytes"` + unknownHint},
		{in: "1.5g", err: `memory sizes are whole numbers; use a smaller unit, as in "1536 mb"`},
		{in: "9999999 tb", err: "memory size out of range"},
		{in: "99999999999999999999", err: "memory size out of range"},
	}
	for _, tt := range tests {
		got, err := ParseMemorySize(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseMemorySize(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseMemorySize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatMemorySizeRoundTrips(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"},
		{100, "100 bytes"},
		{32 << 10, "32 kb"},
		{1536 << 10, "1536 kb"},
		{16 << 20, "16 mb"},
		{1 << 30, "1 gb"},
		{3 << 40, "3 tb"},
	}
	for _, tt := range tests {
		got := FormatMemorySize(tt.n)
		if got != tt.want {
			t.Errorf("FormatMemorySize(%d) = %q, want %q", tt.n, got, tt.want)
		}
		back, err := ParseMemorySize(got)
		if err != nil || back != tt.n {
			t.Errorf("ParseMemorySize(FormatMemorySize(%d)) = %d, %v", tt.n, back, err)
		}
	}
}

func TestParseScalars(t *testing.T) {
	ints := []struct {
		in   string
		want int
		err  string
	}{
		{in: "4", want: 4},
		{in: " 4 ", want: 4},
		{in: "-3", want: -3},
		{in: "+3", want: 3},
		{in: "2147483647", want: math.MaxInt32},
		{in: "2147483648", err: "integer out of range (at most 2147483647)"},
		{in: "abc", err: "not an integer"},
		{in: "1.0", err: "not an integer"},
		{in: "1e3", err: "not an integer"},
		{in: "", err: "not an integer"},
	}
	for _, tt := range ints {
		got, err := parseInt32(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("parseInt32(%q) error = %v, want %q", tt.in, err, tt.err)
			}
		} else if err != nil || got != tt.want {
			t.Errorf("parseInt32(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}

	if n, err := parseInt64("9223372036854775807"); err != nil || n != math.MaxInt64 {
		t.Errorf("parseInt64(max) = %d, %v", n, err)
	}
	if _, err := parseInt64("9223372036854775808"); err == nil || err.Error() != "integer out of range" {
		t.Errorf("parseInt64(max+1) error = %v", err)
	}

	bools := []struct {
		in   string
		want bool
		ok   bool
	}{
		{"true", true, true}, {"TRUE", true, true}, {" False ", false, true},
		{"yes", false, false}, {"on", false, false}, {"1", false, false}, {"", false, false},
	}
	for _, tt := range bools {
		got, err := parseBool(tt.in)
		if !tt.ok {
			if err == nil || err.Error() != "not a boolean (use true or false)" {
				t.Errorf("parseBool(%q) error = %v", tt.in, err)
			}
		} else if err != nil || got != tt.want {
			t.Errorf("parseBool(%q) = %v, %v", tt.in, got, err)
		}
	}

	floats := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1.5", 1.5, true}, {"2", 2, true}, {" 0.1 ", 0.1, true}, {"1e-1", 0.1, true},
		{"NaN", 0, false}, {"Inf", 0, false}, {"abc", 0, false}, {"", 0, false},
	}
	for _, tt := range floats {
		got, err := parseFloat(tt.in)
		if !tt.ok {
			if err == nil || err.Error() != "not a number" {
				t.Errorf("parseFloat(%q) error = %v", tt.in, err)
			}
		} else if err != nil || got != tt.want {
			t.Errorf("parseFloat(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestChecks(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"AtLeast int", AtLeast(1)(0), "must be at least 1"},
		{"AtLeast ok", AtLeast(1)(1), ""},
		{"AtLeast duration", AtLeast(10 * time.Millisecond)(time.Millisecond), "must be at least 10 ms"},
		{"GreaterThan", GreaterThan(time.Duration(0))(0), "must be greater than 0 ms"},
		{"Between low", Between(1, 32768)(0), "must be between 1 and 32768"},
		{"Between high", Between(1, 32768)(32769), "must be between 1 and 32768"},
		{"Between float", Between(0.0, 1.0)(1.5), "must be between 0 and 1"},
		{"SizeBetween", SizeBetween(4<<10, 16<<20)(2 << 10), "must be between 4 kb and 16 mb"},
		{"SizeAtLeast", SizeAtLeast(1)(0), "must be at least 1 bytes"},
		{"PowerOfTwo", PowerOfTwo(48 << 10), "must be a power of two"},
		{"PowerOfTwo ok", PowerOfTwo(64 << 10), ""},
		{"PowerOfTwo zero", PowerOfTwo(0), "must be a power of two"},
		{"NotEmpty", NotEmpty(""), "must not be empty"},
	}
	for _, tt := range tests {
		got := ""
		if tt.err != nil {
			got = tt.err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestEditDistanceAndSuggest(t *testing.T) {
	dist := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"abc", "", 3}, {"paralelism", "parallelism", 1},
		{"ab", "ba", 1}, {"kitten", "sitting", 3},
	}
	for _, tt := range dist {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}

	keys := allKeys()
	sugg := []struct{ typed, want string }{
		{"paralelism.default", "parallelism.default"},
		{"Parallelism.Default", "parallelism.default"},
		{"parallelism.defualt", "parallelism.default"},
		{"execution.checkpointing.intervall", "execution.checkpointing.interval"},
		{"state.checkpoint.dir", "execution.checkpointing.dir"}, // near an alias -> its canonical key
		{"checkpointing.interval", "execution.checkpointing.interval"},
		{"heartbeat.timout", "heartbeat.timeout"},
		{"foo.bar", ""},
		{"interval", ""},             // a tail of several keys: no single answer
		{"jobmanager.scheduler", ""}, // a Flink key Weir does not know, near none of Weir's
	}
	for _, tt := range sugg {
		if got := suggest(tt.typed, keys); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.typed, got, tt.want)
		}
	}
}
