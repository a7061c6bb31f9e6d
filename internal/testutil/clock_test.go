package testutil

import (
	"slices"
	"sync"
	"testing"
	"time"
)

func TestManualClockFiresInTimeOrder(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := NewManualClock(t0)
	var fired []string
	at := func(name string, d time.Duration) func() bool {
		return c.AfterFunc(t0.Add(d), func() {
			if got := c.Now(); !got.Equal(t0.Add(d)) {
				t.Errorf("%s: Now reads %v while it fires, want %v", name, got.Sub(t0), d)
			}
			fired = append(fired, name)
		})
	}
	at("c", 30*time.Millisecond)
	at("a", 10*time.Millisecond)
	at("b1", 20*time.Millisecond)
	at("b2", 20*time.Millisecond) // same time: in the order set
	stop := at("stopped", 15*time.Millisecond)
	if !stop() {
		t.Fatal("stop of a pending timer reported false")
	}
	if stop() {
		t.Fatal("a second stop reported true")
	}

	c.Advance(9 * time.Millisecond)
	if len(fired) != 0 || c.Pending() != 4 {
		t.Fatalf("before the first timer: fired %q, pending %d", fired, c.Pending())
	}
	c.Advance(11 * time.Millisecond) // to 20 ms
	if want := []string{"a", "b1", "b2"}; !slices.Equal(fired, want) {
		t.Fatalf("at 20 ms: fired %q, want %q", fired, want)
	}
	if got := c.Now().Sub(t0); got != 20*time.Millisecond {
		t.Fatalf("Now after the advance: %v", got)
	}
	c.Advance(time.Hour)
	if want := []string{"a", "b1", "b2", "c"}; !slices.Equal(fired, want) || c.Pending() != 0 {
		t.Fatalf("at the end: fired %q, pending %d", fired, c.Pending())
	}
}

// A timer set by a firing one fires in the same advance when it is due
// within it; a timer set for the past fires on the next advance, not
// inside AfterFunc.
func TestManualClockRearmsAndPastTimers(t *testing.T) {
	t0 := time.Unix(0, 0)
	c := NewManualClock(t0)
	var ticks []time.Duration
	var tick func()
	tick = func() {
		ticks = append(ticks, c.Now().Sub(t0))
		c.AfterFunc(c.Now().Add(5*time.Millisecond), tick)
	}
	c.AfterFunc(t0.Add(5*time.Millisecond), tick)
	c.Advance(17 * time.Millisecond)
	if want := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 15 * time.Millisecond}; !slices.Equal(ticks, want) {
		t.Fatalf("ticks %v, want %v", ticks, want)
	}

	past := false
	c.AfterFunc(t0, func() { past = true })
	if past {
		t.Fatal("a timer for the past fired inside AfterFunc")
	}
	c.Advance(0)
	if !past {
		t.Fatal("a timer for the past did not fire on Advance(0)")
	}
}

func TestManualClockConcurrentUse(t *testing.T) {
	t0 := time.Unix(0, 0)
	c := NewManualClock(t0)
	var mu sync.Mutex
	n := 0
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				stop := c.AfterFunc(c.Now().Add(time.Duration(g+i)*time.Millisecond), func() {
					mu.Lock()
					n++
					mu.Unlock()
				})
				if i%5 == 0 {
					stop()
				}
				c.Advance(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	c.Advance(time.Hour)
	mu.Lock()
	defer mu.Unlock()
	if c.Pending() != 0 || n < 4*40 || n > 4*50 {
		t.Fatalf("fired %d, pending %d", n, c.Pending())
	}
}
