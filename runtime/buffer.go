package runtime

import (
	"context"
	"sync/atomic"
	"time"
)

// Buffer is one network buffer: a fixed-size segment holding serialized
// records (or the tail or head of a record spanning segments).
type Buffer struct {
	data []byte // len: bytes written; cap: the segment size
	pool *BufferPool
}

// Bytes returns the written part of the buffer.
func (b *Buffer) Bytes() []byte { return b.data }

// Recycle returns the buffer to its pool. The caller must not touch it after.
func (b *Buffer) Recycle() {
	b.data = b.data[:0]
	b.pool.inUse.Add(-1)
	b.pool.free <- b // never blocks: free has room for every buffer of the pool
}

// BufferPool is a fixed set of equally sized buffers owned by one result
// partition (the output of one operator to one consumer, on one subtask).
// Request blocks while every buffer is in use: this, with the per-channel
// credits, is how a slow consumer slows its producers down instead of
// letting queues grow. Request is called by the owning subtask's goroutine
// only; Recycle may be called from any goroutine.
type BufferPool struct {
	free        chan *Buffer
	segmentSize int
	capacity    int
	allocated   int // owner goroutine only
	inUse       atomic.Int64
	peak        atomic.Int64
}

// NewBufferPool returns a pool of capacity buffers of segmentSize bytes,
// allocated lazily.
func NewBufferPool(capacity, segmentSize int) *BufferPool {
	return &BufferPool{free: make(chan *Buffer, capacity), segmentSize: segmentSize, capacity: capacity}
}

// Request returns a free buffer, waiting for one to be recycled if all are
// in use, until ctx is done.
func (p *BufferPool) Request(ctx context.Context) (*Buffer, error) {
	return p.RequestMeasured(ctx, waitMeter{})
}

// waitMeter accumulates time spent waiting: total when a wait ends, since
// while it lasts (so samplers see waits in progress). Zero fields measure
// nothing.
type waitMeter struct{ total, since *atomic.Int64 }

func (m waitMeter) start() time.Time {
	now := time.Now()
	if m.since != nil {
		m.since.Store(now.UnixNano())
	}
	return now
}

func (m waitMeter) stop(start time.Time) {
	if m.total != nil {
		m.total.Add(int64(time.Since(start)))
	}
	if m.since != nil {
		m.since.Store(0)
	}
}

// RequestMeasured is Request that counts the time it waits (back
// pressure) in waited.
func (p *BufferPool) RequestMeasured(ctx context.Context, waited waitMeter) (*Buffer, error) {
	var b *Buffer
	select {
	case b = <-p.free:
	default:
		if p.allocated < p.capacity {
			p.allocated++
			b = &Buffer{data: make([]byte, 0, p.segmentSize), pool: p}
		} else {
			start := waited.start()
			select {
			case b = <-p.free:
			case <-ctx.Done():
				waited.stop(start)
				return nil, context.Cause(ctx)
			}
			waited.stop(start)
		}
	}
	n := p.inUse.Add(1)
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			break
		}
	}
	return b, nil
}

// Capacity is the number of buffers the pool may hold.
func (p *BufferPool) Capacity() int { return p.capacity }

// InUse is the number of buffers currently requested and not recycled.
func (p *BufferPool) InUse() int { return int(p.inUse.Load()) }

// Peak is the highest InUse seen.
func (p *BufferPool) Peak() int { return int(p.peak.Load()) }
