package connector

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// batchInterval is how much time's worth of tokens a throttled reader waits
// for before it fetches: fewer, larger batches than one sleep per record.
// The bucket holds at most twice that, which bounds bursts.
const batchInterval = 10 * time.Millisecond

// RateLimit returns a source that emits at most perSecond records per second
// in total, whatever its parallelism. A rate of +Inf means no limit; a rate
// that is not positive fails CreateReader.
//
// The subtasks share one token bucket (one per value RateLimit returns, kept
// across restarts), so the rate is the job's total: a subtask with nothing
// to read, or finished, leaves its share to the busy ones. Flink's
// RateLimiterStrategy.perSecond instead gives each subtask rate/parallelism,
// so that at parallelism 2 over a single file the job reads at half the rate
// asked for; Weir does not follow it there.
//
// The bucket is shared by the subtasks of this process. A cluster of several
// task manager processes would give each process its own bucket with its
// share of the rate, perSecond × (its subtasks of this source ÷
// parallelism): the total stays at most perSecond, idle subtasks leave their
// share to busy ones in the same process only, and with one subtask per
// process that is Flink's even split. A total shared across processes
// would need tokens handed out by the job manager.
func RateLimit[T any](src Source[T], perSecond float64) Source[T] {
	return &rateLimited[T]{src: src, perSecond: perSecond, clk: realClock{}}
}

// Identity is the limited source's (Identifier): the rate is not
// part of what a source reads.
func (r *rateLimited[T]) Identity() string {
	if id, ok := r.src.(Identifier); ok {
		return id.Identity()
	}
	return ""
}

type rateLimited[T any] struct {
	src       Source[T]
	perSecond float64
	clk       clock

	once   sync.Once
	bucket *bucket // shared by every reader; made by the first
}

// clock is time as the limiter sees it; tests replace it.
type clock interface {
	now() time.Time
	// sleep waits for d or until ctx is done, whichever comes first.
	sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) now() time.Time { return time.Now() }

func (realClock) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *rateLimited[T]) CreateReader(ctx SourceContext) (SourceReader[T], error) {
	if math.IsNaN(s.perSecond) || s.perSecond <= 0 {
		return nil, fmt.Errorf("rate limit: the rate must be positive, got %v records per second", s.perSecond)
	}
	inner, err := s.src.CreateReader(ctx)
	if err != nil || math.IsInf(s.perSecond, 1) {
		return inner, err
	}
	s.once.Do(func() {
		batch := max(1, s.perSecond*batchInterval.Seconds())
		s.bucket = &bucket{clk: s.clk, rate: s.perSecond, batch: batch, capacity: 2 * batch, last: s.clk.now()}
	})
	return &limitedReader[T]{inner: inner, bucket: s.bucket}, nil
}

// bucket is a token bucket, a token per record, that any number of readers
// draw from concurrently.
type bucket struct {
	clk clock

	mu       sync.Mutex
	rate     float64 // tokens per second
	batch    float64 // tokens to wait for before a fetch
	capacity float64 // most tokens the bucket holds
	tokens   float64
	last     time.Time // of the last refill
}

// refill adds the tokens earned since the last refill; b.mu is held.
func (b *bucket) refill() {
	now := b.clk.now()
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(b.capacity, b.tokens+el.Seconds()*b.rate)
	}
	b.last = now
}

// take waits until there are min(room, batch) tokens, then takes as many
// whole tokens as there are, at most room (at least 1).
func (b *bucket) take(ctx context.Context, room int) (int, error) {
	b.mu.Lock()
	want := min(float64(room), b.batch)
	for {
		b.refill()
		if b.tokens >= want {
			break
		}
		d := time.Duration(math.Ceil((want - b.tokens) / b.rate * float64(time.Second)))
		// Sleep without the lock: the other readers draw meanwhile, and
		// this one checks again when it wakes.
		b.mu.Unlock()
		if err := b.clk.sleep(ctx, d); err != nil {
			return 0, err
		}
		b.mu.Lock()
	}
	n := min(room, int(b.tokens))
	b.tokens -= float64(n)
	b.mu.Unlock()
	return n, nil
}

// giveBack returns the n tokens a reader took and did not use: an idle or
// finished reader's share goes to the others.
func (b *bucket) giveBack(n int) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.refill()
	b.tokens = min(b.capacity, b.tokens+float64(n))
	b.mu.Unlock()
}

// limitedReader reads through the shared bucket: a token per record.
type limitedReader[T any] struct {
	inner  SourceReader[T]
	bucket *bucket
}

// Fetch waits for tokens, then lets the inner reader fill at most as many
// slots of buf as it took; what the inner reader did not use goes back.
func (r *limitedReader[T]) Fetch(ctx context.Context, buf []T) ([]T, [][]byte, error) {
	room := cap(buf) - len(buf)
	if room <= 0 {
		return r.inner.Fetch(ctx, buf)
	}
	n, err := r.bucket.take(ctx, room)
	if err != nil {
		return buf, nil, err
	}
	out, pos, err := r.inner.Fetch(ctx, buf[:len(buf):len(buf)+n])
	r.bucket.giveBack(n - (len(out) - len(buf)))
	return out, pos, err
}

// StartPosition implements StartPositioner for an inner reader
// that does; nil (no position known) otherwise.
func (r *limitedReader[T]) StartPosition() [][]byte {
	if sp, ok := r.inner.(StartPositioner); ok {
		return sp.StartPosition()
	}
	return nil
}

// Pending implements PendingReporter for an inner reader that does;
// unknown (-1, -1) otherwise.
func (r *limitedReader[T]) Pending() (records, bytes int64) {
	if p, ok := r.inner.(PendingReporter); ok {
		return p.Pending()
	}
	return -1, -1
}

func (r *limitedReader[T]) Close() error { return r.inner.Close() }
