package connector

import (
	"context"
	"fmt"
	"math"
	"time"
)

// batchInterval is how much time's worth of tokens a throttled reader waits
// for before it fetches: fewer, larger batches than one sleep per record.
// The bucket holds at most twice that, which bounds bursts.
const batchInterval = 10 * time.Millisecond

// RateLimit returns a source that emits at most perSecond records per second
// in total, each of its subtasks at most perSecond/parallelism. A rate of
// +Inf means no limit; a rate that is not positive fails CreateReader.
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
	rate := s.perSecond / float64(max(ctx.Parallelism, 1))
	batch := max(1, rate*batchInterval.Seconds())
	return &limitedReader[T]{
		inner:    inner,
		clk:      s.clk,
		rate:     rate,
		batch:    batch,
		capacity: 2 * batch,
		last:     s.clk.now(),
	}, nil
}

// limitedReader is a token bucket in front of a reader: a token per record.
type limitedReader[T any] struct {
	inner SourceReader[T]
	clk   clock

	rate     float64 // tokens per second
	batch    float64 // tokens to wait for before a fetch
	capacity float64 // most tokens the bucket holds
	tokens   float64
	last     time.Time // of the last refill
}

func (r *limitedReader[T]) refill() {
	now := r.clk.now()
	if el := now.Sub(r.last); el > 0 {
		r.tokens = min(r.capacity, r.tokens+el.Seconds()*r.rate)
	}
	r.last = now
}

// Fetch waits for tokens, then lets the inner reader fill at most as many
// slots of buf as there are whole tokens.
func (r *limitedReader[T]) Fetch(ctx context.Context, buf []T) ([]T, [][]byte, error) {
	room := cap(buf) - len(buf)
	if room <= 0 {
		return r.inner.Fetch(ctx, buf)
	}
	want := min(float64(room), r.batch)
	for {
		r.refill()
		if r.tokens >= want {
			break
		}
		d := time.Duration(math.Ceil((want - r.tokens) / r.rate * float64(time.Second)))
		if err := r.clk.sleep(ctx, d); err != nil {
			return buf, nil, err
		}
	}
	n := min(room, int(r.tokens))
	out, pos, err := r.inner.Fetch(ctx, buf[:len(buf):len(buf)+n])
	r.tokens -= float64(len(out) - len(buf))
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

func (r *limitedReader[T]) Close() error { return r.inner.Close() }
