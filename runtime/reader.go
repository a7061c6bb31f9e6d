package runtime

import (
	"encoding/binary"
	"fmt"

	"github.com/weirstream/weir/operator"
)

// ErrCorruptStream marks a network buffer whose bytes do not decode: a bug
// or memory corruption, never a user error. It is operator.ErrCorruptStream,
// which the record decoders wrap.
var ErrCorruptStream = operator.ErrCorruptStream

// frameReader splits the bytes of one input channel into framed records
// and hands each to the decoder of the head operator's input type. A
// record may span buffers: its start waits in pending until the rest
// arrives.
type frameReader struct {
	dec     operator.RecordDecoder
	pending []byte
	records int64
}

func (r *frameReader) count() int64 { return r.records }

func (r *frameReader) process(data []byte) error {
	if len(r.pending) > 0 {
		var ok bool
		var err error
		if data, ok, err = r.completePending(data); err != nil || !ok {
			return err
		}
	}
	rest, n, err := r.dec.DecodeFrames(data)
	r.records += int64(n)
	if err == nil && len(rest) > 0 {
		r.pending = append(r.pending[:0], rest...)
	}
	return err
}

// completePending moves bytes from data into pending until the pending
// frame is whole, decodes it, and returns the rest of data. ok is false when
// data ran out first.
func (r *frameReader) completePending(data []byte) (rest []byte, ok bool, err error) {
	for {
		n, hl := binary.Uvarint(r.pending)
		if hl < 0 || n > operator.MaxFrameLen {
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
		r.records++
		err := r.dec.Decode(r.pending[hl:])
		r.pending = r.pending[:0]
		return data, err == nil, err
	}
}
