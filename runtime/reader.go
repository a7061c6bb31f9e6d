package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/operator"
)

// ErrCorruptStream marks a network buffer whose bytes do not decode: a bug
// or memory corruption, never a user error.
var ErrCorruptStream = errors.New("corrupt record stream")

// maxFrameLen bounds a record's length prefix. No writer frames a record
// this large (sources refuse records over their maximum size long before),
// so a longer prefix is corruption; without the bound a damaged prefix
// would make the reader wait for, and buffer, up to 2^64 bytes.
const maxFrameLen = 1 << 31

// recordReader decodes the framed records of one input channel and hands
// them to the head operator's input. A record may span buffers: its start
// waits in pending until the rest arrives.
type recordReader[T any] struct {
	codec   codec.Codec[T]
	target  operator.Output[T]
	rc      *operator.RecordContext
	pending []byte
	records int64
}

// bufferProcessor is the type-erased face of recordReader.
type bufferProcessor interface {
	process(data []byte) error
	count() int64
}

func (r *recordReader[T]) count() int64 { return r.records }

func (r *recordReader[T]) process(data []byte) error {
	if len(r.pending) > 0 {
		var ok bool
		var err error
		if data, ok, err = r.completePending(data); err != nil || !ok {
			return err
		}
	}
	for len(data) > 0 {
		n, hl := binary.Uvarint(data)
		if hl < 0 || n > maxFrameLen {
			return fmt.Errorf("%w: bad record length", ErrCorruptStream)
		}
		if hl == 0 || uint64(len(data)-hl) < n {
			r.pending = append(r.pending[:0], data...)
			return nil
		}
		if err := r.decode(data[hl : hl+int(n)]); err != nil {
			return err
		}
		data = data[hl+int(n):]
	}
	return nil
}

// completePending moves bytes from data into pending until the pending
// record is whole, decodes it, and returns the rest of data. ok is false when
// data ran out first.
func (r *recordReader[T]) completePending(data []byte) (rest []byte, ok bool, err error) {
	for {
		n, hl := binary.Uvarint(r.pending)
		if hl < 0 || n > maxFrameLen {
			r.pending = r.pending[:0]
			return nil, false, fmt.Errorf("%w: bad record length", ErrCorruptStream)
		}
		if hl == 0 { // header incomplete: take one more byte
			if len(data) == 0 {
				return nil, false, nil
			}
			r.pending = append(r.pending, data[0])
			data = data[1:]
			continue
		}
		need := hl + int(n) - len(r.pending)
		take := min(need, len(data))
		r.pending = append(r.pending, data[:take]...)
		data = data[take:]
		if take < need {
			return nil, false, nil
		}
		err := r.decode(r.pending[hl:])
		r.pending = r.pending[:0]
		return data, err == nil, err
	}
}

func (r *recordReader[T]) decode(rec []byte) error {
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
	r.records++
	return r.target.Collect(v)
}
