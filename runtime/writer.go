package runtime

import (
	"context"
	"encoding/binary"
	"sync/atomic"

	"github.com/weirstream/weir/operator"
)

// PartitionWriter writes serialized records of one producer subtask into
// the channels of one edge (one subpartition per consumer subtask). It
// frames each record as a uvarint length followed by the bytes; a record
// that does not fit the rest of a buffer continues in the next one. It is
// used by the producer's goroutine only.
//
// The bytes of the buffer being filled for a channel live in frames.Buf
// (operator.Frames), which the typed record writer appends small records
// to itself; current holds the buffer they belong to.
type PartitionWriter struct {
	ctx      context.Context
	pool     *BufferPool
	channels []*InputChannel
	current  []*Buffer
	frames   operator.Frames
	// flushAlways sends every buffer right after each record
	// (execution.buffer-timeout.interval: 0).
	flushAlways bool

	published int64 // frames.Written as last added to recordsOut, per buffer sent
	// recordsOut and backPressured are the owning subtask's counters.
	recordsOut    *atomic.Int64
	backPressured *atomic.Int64
	bpSince       *atomic.Int64 // when the wait in progress began; 0 if none
	// bytesOut counts the bytes of the buffers sent, per buffer;
	// watermark is the last watermark broadcast (not idleness marks).
	bytesOut  *atomic.Int64
	watermark *atomic.Int64
}

// NewPartitionWriter returns a writer over channels, drawing buffers from
// pool.
func NewPartitionWriter(ctx context.Context, pool *BufferPool, channels []*InputChannel, flushAlways bool) *PartitionWriter {
	return &PartitionWriter{ctx: ctx, pool: pool, channels: channels, current: make([]*Buffer, len(channels)), flushAlways: flushAlways,
		frames:     operator.Frames{Buf: make([][]byte, len(channels))},
		recordsOut: new(atomic.Int64), backPressured: new(atomic.Int64), bpSince: new(atomic.Int64),
		bytesOut: new(atomic.Int64), watermark: new(atomic.Int64)}
}

// Frames gives the record writer the buffers to frame small records into
// (operator.RecordChannels); nil when each record is sent at once.
func (w *PartitionWriter) Frames() *operator.Frames {
	if w.flushAlways {
		return nil
	}
	return &w.frames
}

// Pool is the writer's buffer pool.
func (w *PartitionWriter) Pool() *BufferPool { return w.pool }

// Write appends one framed record to subpartition sub.
func (w *PartitionWriter) Write(sub int, rec []byte) error {
	w.frames.Written++
	var hdr [binary.MaxVarintLen64]byte
	hl := binary.PutUvarint(hdr[:], uint64(len(rec)))
	if data := w.frames.Buf[sub]; w.current[sub] != nil && cap(data)-len(data) >= hl+len(rec) {
		w.frames.Buf[sub] = append(append(data, hdr[:hl]...), rec...)
		if w.flushAlways {
			return w.send(sub)
		}
		return nil
	}
	if err := w.writeSpanning(sub, hdr[:hl]); err != nil {
		return err
	}
	if err := w.writeSpanning(sub, rec); err != nil {
		return err
	}
	if w.flushAlways {
		return w.send(sub)
	}
	return nil
}

func (w *PartitionWriter) writeSpanning(sub int, p []byte) error {
	for len(p) > 0 {
		b := w.current[sub]
		if b == nil {
			var err error
			if b, err = w.pool.RequestMeasured(w.ctx, w.waits()); err != nil {
				return err
			}
			w.current[sub], w.frames.Buf[sub] = b, b.data[:0]
		}
		data := w.frames.Buf[sub]
		n := min(cap(data)-len(data), len(p))
		data = append(data, p[:n]...)
		w.frames.Buf[sub] = data
		p = p[n:]
		if len(data) == cap(data) {
			if err := w.send(sub); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *PartitionWriter) send(sub int) error {
	b := w.current[sub]
	if b == nil || len(w.frames.Buf[sub]) == 0 {
		return nil
	}
	b.data = w.frames.Buf[sub]
	w.current[sub], w.frames.Buf[sub] = nil, nil
	w.recordsOut.Add(w.frames.Written - w.published)
	w.published = w.frames.Written
	w.bytesOut.Add(int64(len(b.data)))
	return w.channels[sub].SendBufferMeasured(w.ctx, b, w.waits())
}

func (w *PartitionWriter) waits() waitMeter {
	return waitMeter{total: w.backPressured, since: w.bpSince}
}

// Flush sends every partly filled buffer.
func (w *PartitionWriter) Flush() error {
	for sub := range w.current {
		if err := w.send(sub); err != nil {
			return err
		}
	}
	return nil
}

// BroadcastEvent flushes and then sends ev on every channel, so the event
// follows every record written before it.
func (w *PartitionWriter) BroadcastEvent(ev Event) error {
	if err := w.Flush(); err != nil {
		return err
	}
	for _, c := range w.channels {
		c.SendEvent(ev)
	}
	return nil
}

// release recycles buffers still held after a failure.
func (w *PartitionWriter) release() {
	for sub, b := range w.current {
		if b != nil {
			b.data = w.frames.Buf[sub]
			b.Recycle()
			w.current[sub], w.frames.Buf[sub] = nil, nil
		}
	}
}

// NumChannels is the number of subpartitions (operator.RecordChannels).
func (w *PartitionWriter) NumChannels() int { return len(w.channels) }

// BroadcastWatermark sends wm on every channel, after the records written
// before it (operator.RecordChannels).
func (w *PartitionWriter) BroadcastWatermark(wm operator.Watermark) error {
	if !wm.Idle {
		w.watermark.Store(wm.Time)
	}
	return w.BroadcastEvent(wm)
}
