package operator

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/internal/keygroup"
)

// TypeInfo is a record type as the runtime handles it: it builds the typed
// pieces of a task whose wiring is decided at run time (writers that
// serialize records onto the network, decoders that read them back,
// fan-outs to several consumers), so that the record path itself never
// goes through any. TypeOf makes one.
type TypeInfo interface {
	// NewWriter returns an Output of the type that serializes each record,
	// with its timestamp from rc, and writes it to the channel the edge's
	// partitioning picks among ch's.
	NewWriter(ch RecordChannels, e graph.Edge, maxParallelism, producerSubtask int, rc *RecordContext) (any, error)
	// NewDecoder returns a decoder of the records NewWriter wrote, which
	// hands each to target, an Output of the type, after setting rc.
	NewDecoder(target any, rc *RecordContext) RecordDecoder
	// FanOut returns an Output of the type that passes each record and
	// watermark to every one of outs (Outputs of the type).
	FanOut(outs []any) any
}

// RecordChannels is the runtime's side of a record writer: the
// subpartitions of one output, which frame and buffer serialized records.
type RecordChannels interface {
	NumChannels() int
	// Frames returns the buffers a record writer may frame small records
	// into itself, or nil when every record must go through Write (the
	// runtime sends each record at once: execution.buffer-timeout.interval
	// 0).
	Frames() *Frames
	// Write appends one serialized record to subpartition channel.
	Write(channel int, record []byte) error
	// BroadcastWatermark sends wm to every subpartition, after the records
	// written before it.
	BroadcastWatermark(wm Watermark) error
}

// RecordDecoder decodes records as a record writer serialized them and
// hands each on.
type RecordDecoder interface {
	// Decode decodes one whole record.
	Decode(record []byte) error
	// DecodeFrames decodes the whole frames (NextFrame) at the start of
	// data, and returns the bytes after them (the start of a frame that
	// continues in the next buffer, or none) and how many it decoded.
	// Each buffer crosses this interface once, not each record.
	DecodeFrames(data []byte) (rest []byte, records int, err error)
}

// ErrCorruptStream marks record bytes that do not decode: a bug or memory
// corruption, never a user error.
var ErrCorruptStream = errors.New("corrupt record stream")

// TypeOf returns the TypeInfo of T, serialized with c.
func TypeOf[T any](c codec.Codec[T]) TypeInfo { return typeInfo[T]{c} }

type typeInfo[T any] struct{ codec codec.Codec[T] }

func (t typeInfo[T]) NewWriter(ch RecordChannels, e graph.Edge, maxP, subtask int, rc *RecordContext) (any, error) {
	w, err := newRecordWriter(t.codec, ch, e, maxP, subtask)
	if err != nil {
		return nil, err
	}
	w.rc = rc
	return Output[T](w), nil
}

func (t typeInfo[T]) NewDecoder(target any, rc *RecordContext) RecordDecoder {
	return &recordDecoder[T]{codec: t.codec, target: target.(Output[T]), rc: rc}
}

func (t typeInfo[T]) FanOut(outs []any) any {
	switch len(outs) {
	case 0:
		return Output[T](discardOutput[T]{})
	case 1:
		return outs[0].(Output[T])
	}
	f := make(fanOut[T], len(outs))
	for i, o := range outs {
		f[i] = o.(Output[T])
	}
	return Output[T](f)
}

type fanOut[T any] []Output[T]

func (f fanOut[T]) Collect(v T) error {
	for _, o := range f {
		if err := o.Collect(v); err != nil {
			return err
		}
	}
	return nil
}

func (f fanOut[T]) EmitWatermark(wm Watermark) error {
	for _, o := range f {
		if err := o.EmitWatermark(wm); err != nil {
			return err
		}
	}
	return nil
}

type discardOutput[T any] struct{}

func (discardOutput[T]) Collect(T) error               { return nil }
func (discardOutput[T]) EmitWatermark(Watermark) error { return nil }

// recordWriter is the typed Output at the end of a chain that serializes
// records into the runtime's RecordChannels and routes them by the edge's partitioning.
type recordWriter[T any] struct {
	codec   codec.Codec[T]
	scratch []byte
	pw      RecordChannels
	frames  *Frames // nil: every record through pw.Write
	mode    graph.Partitioning
	group   func(T) int // Hash: the record's key group
	maxP    int
	n       int // number of subpartitions
	next    int // Rebalance: round-robin position
	rc      *RecordContext
}

func newRecordWriter[T any](c codec.Codec[T], pw RecordChannels, e graph.Edge, maxP, producerSubtask int) (*recordWriter[T], error) {
	n := pw.NumChannels()
	w := &recordWriter[T]{codec: c, pw: pw, frames: pw.Frames(), mode: e.Partitioning, maxP: maxP, n: n, next: producerSubtask % n}
	if e.Partitioning == graph.Hash {
		f, ok := e.KeyGroup.(KeyGroupFactory[T])
		if !ok {
			return nil, fmt.Errorf("hash edge carries %T, want a KeyGroupFactory for the record type", e.KeyGroup)
		}
		w.group = f(maxP)
	}
	return w, nil
}

// EmitWatermark sends the watermark to every consumer subtask, after the
// records written before it.
func (w *recordWriter[T]) EmitWatermark(wm Watermark) error {
	return w.pw.BroadcastWatermark(wm)
}

func (w *recordWriter[T]) Collect(v T) error {
	// The scratch slice is stored back only when it grew, so that the
	// writer is not written to on every record.
	b := w.codec.Append(w.appendTimestamp(w.scratch[:0]), v)
	if cap(b) > cap(w.scratch) {
		w.scratch = b
	}
	switch w.mode {
	case graph.Forward:
		return w.write(0, b)
	case graph.Hash:
		return w.write(keygroup.SubtaskFor(w.group(v), w.maxP, w.n), b)
	case graph.Rebalance:
		sub := w.next
		if w.next++; w.next == w.n {
			w.next = 0
		}
		return w.write(sub, b)
	default: // Broadcast
		for sub := 0; sub < w.n; sub++ {
			if err := w.write(sub, b); err != nil {
				return err
			}
		}
		return nil
	}
}

// write frames rec into channel ch. A record under 128 bytes (its length
// prefix one byte) that fits the channel's buffer is appended here; any
// other goes to the runtime, which starts or sends buffers as needed.
func (w *recordWriter[T]) write(ch int, rec []byte) error {
	if f := w.frames; f != nil {
		if b := f.Buf[ch]; len(rec) < 0x80 && cap(b)-len(b) > len(rec) {
			f.Buf[ch] = append(append(b, byte(len(rec))), rec...)
			f.Written++
			return nil
		}
	}
	return w.pw.Write(ch, rec)
}

// recordDecoder decodes the records of one type.
type recordDecoder[T any] struct {
	codec  codec.Codec[T]
	target Output[T]
	rc     *RecordContext
}

// Decode decodes one record's content (its timestamp, then the value) and
// hands the value to the target.
func (r *recordDecoder[T]) Decode(rec []byte) error {
	z, tl := binary.Uvarint(rec)
	if tl <= 0 {
		return fmt.Errorf("%w: bad record timestamp", ErrCorruptStream)
	}
	if z == 0 {
		r.rc.HasTimestamp = false
	} else {
		z--
		r.rc.Timestamp, r.rc.HasTimestamp = int64(z>>1)^-int64(z&1), true
	}
	rec = rec[tl:]
	v, n, err := r.codec.Decode(rec)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorruptStream, err)
	}
	if n != len(rec) {
		return fmt.Errorf("%w: record of %d bytes decoded from %d", ErrCorruptStream, len(rec), n)
	}
	return r.target.Collect(v)
}

func (r *recordDecoder[T]) DecodeFrames(data []byte) ([]byte, int, error) {
	n := 0
	for len(data) > 0 {
		var rec []byte
		if l := int(data[0]); l < 0x80 && len(data) > l {
			// A whole record under 128 bytes, the common case, split here
			// rather than by a call per record.
			rec, data = data[1:1+l], data[1+l:]
		} else {
			var ok bool
			var err error
			if rec, data, ok, err = NextFrame(data); !ok {
				return data, n, err
			}
		}
		if err := r.Decode(rec); err != nil {
			return data, n, err
		}
		n++
	}
	return data, n, nil
}

// appendTimestamp frames the record's timestamp: uvarint 0 for none, else
// zigzag(ts)+1. It is a method of the generic writer so that its body is
// compiled, and inlined, with the writer in the user's package.
func (w *recordWriter[T]) appendTimestamp(dst []byte) []byte {
	if !w.rc.HasTimestamp {
		return append(dst, 0)
	}
	z := uint64(w.rc.Timestamp<<1) ^ uint64(w.rc.Timestamp>>63)
	return binary.AppendUvarint(dst, z+1)
}
