package testutil

import (
	"container/heap"
	"sync"
	"time"
)

// ManualClock is a processing-time clock that moves only when a test
// advances it (runtime.Clock; weir's tests hand it to a job). With it a
// test shows that a timer has not fired by advancing to just before its
// time, and that it fires by advancing past it, without sleeping. It is
// safe for concurrent use.
type ManualClock struct {
	advancing sync.Mutex // one Advance at a time

	mu      sync.Mutex
	now     time.Time
	seq     uint64
	pending manualTimers
}

// NewManualClock returns a clock that reads start until it is advanced.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start}
}

// Now is the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc calls f once the clock has reached t, on the goroutine that
// advances it. A timer whose time has already come fires on the next
// Advance (Advance(0) will do), never inside AfterFunc, whose caller may
// hold locks that f takes. stop removes the timer and reports whether it
// had not fired yet.
func (c *ManualClock) AfterFunc(t time.Time, f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tm := &manualTimer{at: t, seq: c.seq, f: f}
	c.seq++
	heap.Push(&c.pending, tm)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if tm.index < 0 {
			return false
		}
		heap.Remove(&c.pending, tm.index)
		return true
	}
}

// Advance moves the clock forward by d and fires every timer due by then,
// in the order of their times (timers set for the same time in the order
// they were set). While a timer fires, Now reads its time; a timer that a
// firing one sets within the span fires too. Advance returns after the
// last one has, with Now at the end of the span. A negative d is treated
// as 0.
func (c *ManualClock) Advance(d time.Duration) {
	c.advancing.Lock()
	defer c.advancing.Unlock()
	c.mu.Lock()
	end := c.now.Add(max(d, 0))
	for len(c.pending) > 0 && !c.pending[0].at.After(end) {
		tm := heap.Pop(&c.pending).(*manualTimer)
		if tm.at.After(c.now) {
			c.now = tm.at
		}
		// f runs without the lock: it may set or stop timers.
		c.mu.Unlock()
		tm.f()
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}

// Pending is the number of timers set that have neither fired nor been
// stopped. A test that advances a job's clock awaits the timers the job
// sets again (periodic ticks), to know the ticks have run.
func (c *ManualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

type manualTimer struct {
	at    time.Time
	seq   uint64
	f     func()
	index int // in the heap; -1 once removed
}

// manualTimers is a heap of timers, the earliest (then the first set) on
// top.
type manualTimers []*manualTimer

func (h manualTimers) Len() int { return len(h) }
func (h manualTimers) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h manualTimers) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *manualTimers) Push(x any) {
	tm := x.(*manualTimer)
	tm.index = len(*h)
	*h = append(*h, tm)
}
func (h *manualTimers) Pop() any {
	old := *h
	tm := old[len(old)-1]
	old[len(old)-1] = nil
	tm.index = -1
	*h = old[:len(old)-1]
	return tm
}
