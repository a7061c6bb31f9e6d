package windowwordcount_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/jobs/windowwordcount"
)

func TestParseWindow(t *testing.T) {
	for spec, want := range map[string]weir.WindowAssigner{
		"tumbling:10s":       weir.TumblingEventTimeWindows(10 * time.Second),
		"tumbling:250":       weir.TumblingEventTimeWindows(250 * time.Millisecond),
		"sliding:1m:15s":     weir.SlidingEventTimeWindows(time.Minute, 15*time.Second),
		"session:1.5s":       weir.EventTimeSessionWindows(1500 * time.Millisecond),
		"sliding:1000:500ms": weir.SlidingEventTimeWindows(time.Second, 500*time.Millisecond),
		"tumbling:1h30m0.5s": weir.TumblingEventTimeWindows(90*time.Minute + 500*time.Millisecond),
	} {
		got, err := windowwordcount.ParseWindow(spec)
		if err != nil || got.String() != want.String() {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", spec, got, err, want)
		}
	}
	for _, spec := range []string{"", "tumbling", "tumbling:", "tumbling:1s:1s", "sliding:1s", "session:0", "session:-1s", "hop:1s", "tumbling:soon", "tumbling:500us"} {
		if _, err := windowwordcount.ParseWindow(spec); !errors.Is(err, windowwordcount.ErrBadOption) {
			t.Errorf("ParseWindow(%q): error %v, want a bad option", spec, err)
		}
	}
}

func TestParseLine(t *testing.T) {
	ts, words, err := windowwordcount.ParseLine("  1700000000123 to be  or\tnot ")
	if err != nil || ts != 1700000000123 || !slices.Equal(words, []string{"to", "be", "or", "not"}) {
		t.Fatalf("got %d %q %v", ts, words, err)
	}
	if ts, words, err := windowwordcount.ParseLine("-5"); err != nil || ts != -5 || len(words) != 0 {
		t.Fatalf("timestamp only: %d %q %v", ts, words, err)
	}
	for _, line := range []string{"", "hello world", "12a b", "1.5 b"} {
		if _, _, err := windowwordcount.ParseLine(line); err == nil {
			t.Errorf("ParseLine(%q) accepted", line)
		}
	}
}
