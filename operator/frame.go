package operator

import (
	"encoding/binary"
	"fmt"
)

// Records travel between subtasks framed: the record's length as a
// uvarint, then its bytes. The runtime's partition writer frames them into
// network buffers, a frame may continue from one buffer into the next, and
// RecordDecoder.DecodeFrames reads the whole frames of a buffer.

// MaxFrameLen bounds a record's length prefix. No writer frames a record
// this large (sources refuse records over their maximum size long before),
// so a longer prefix is corruption; without the bound a damaged prefix
// would make a reader wait for, and buffer, up to 2^64 bytes.
const MaxFrameLen = 1 << 31

// NextFrame splits the frame at the start of data: the record and the
// bytes after it. ok is false when data holds only the start of a frame.
// A length prefix that cannot be one is an ErrCorruptStream.
func NextFrame(data []byte) (rec, rest []byte, ok bool, err error) {
	n, hl := binary.Uvarint(data)
	if hl < 0 || n > MaxFrameLen {
		return nil, data, false, errFrameLength
	}
	if hl == 0 || uint64(len(data)-hl) < n {
		return nil, data, false, nil
	}
	return data[hl : hl+int(n)], data[hl+int(n):], true, nil
}

var errFrameLength = fmt.Errorf("%w: bad record length", ErrCorruptStream)

// Frames are the buffers a record writer fills, one per channel
// (subpartition), shared with the runtime that sends them, so that a small
// record that fits is framed into its buffer in place, with no call per
// record. The runtime owns the buffers: it puts a fresh one in Buf when a
// channel needs one and takes it out to send it.
type Frames struct {
	// Buf[ch] is the buffer being filled for channel ch: its length is the
	// bytes written, its capacity the buffer's size (0 when the channel
	// has no buffer yet).
	Buf [][]byte
	// Written counts the records framed, here and by the runtime.
	Written int64
}
