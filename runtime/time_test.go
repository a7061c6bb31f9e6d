package runtime

import (
	"slices"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/testutil"
	"github.com/weirstream/weir/operator"
)

var _ operator.Clock = (*testutil.ManualClock)(nil)

// TestTimerServiceManualClock: the timer service reads its clock, and a
// timer that comes due puts its work in the mailbox, where it runs on the
// next turn of the subtask's loop; a cancelled timer runs nothing, even
// when it came due before the cancel; close stops what is pending.
func TestTimerServiceManualClock(t *testing.T) {
	t0 := time.Unix(100, 0)
	clock := testutil.NewManualClock(t0)
	mail := newMailbox()
	s := newTimerService(mail, clock)
	if !s.Now().Equal(t0) {
		t.Fatalf("Now %v, want the clock's %v", s.Now(), t0)
	}
	var ran []string
	at := func(name string, d time.Duration) func() {
		return s.At(t0.Add(d), func() error { ran = append(ran, name); return nil })
	}
	at("b", 20*time.Millisecond)
	at("a", 10*time.Millisecond)
	late := at("cancelled after it came due", 10*time.Millisecond)
	early := at("cancelled before", 15*time.Millisecond)
	at("after close", time.Second)

	clock.Advance(10*time.Millisecond - time.Nanosecond)
	if err := mail.run(); err != nil || len(ran) != 0 {
		t.Fatalf("before the first timer: ran %q, %v", ran, err)
	}
	clock.Advance(time.Nanosecond)
	late()
	early()
	if err := mail.run(); err != nil || !slices.Equal(ran, []string{"a"}) {
		t.Fatalf("at 10 ms: ran %q, %v", ran, err)
	}
	clock.Advance(10 * time.Millisecond)
	if err := mail.run(); err != nil || !slices.Equal(ran, []string{"a", "b"}) {
		t.Fatalf("at 20 ms: ran %q, %v", ran, err)
	}
	s.close()
	if n := clock.Pending(); n != 0 {
		t.Fatalf("close left %d timers on the clock", n)
	}
	clock.Advance(time.Hour)
	if err := mail.run(); err != nil || len(ran) != 2 {
		t.Fatalf("after close: ran %q, %v", ran, err)
	}
	at("set after close", 0)
	if n := clock.Pending(); n != 0 {
		t.Fatalf("a timer set after close reached the clock")
	}
}
