package connector

import (
	"errors"
	"fmt"
)

// DefaultMaxRecordSize is the longest record, in bytes, a source reading
// delimited records (the file source's lines, the socket source's records)
// accepts unless told otherwise: the default of the source.max-record-size
// option. A source holds a whole record in memory (twice, briefly, while it
// becomes a string), so without a bound one peer sending a 200 MiB line can
// take the process's memory to gigabytes.
const DefaultMaxRecordSize = 64 << 20

// ErrRecordTooLarge is wrapped by the error a source fails with when a
// record is longer than its maximum record size (source.max-record-size).
// The error names the source, the record's offset and its size.
var ErrRecordTooLarge = errors.New("record too large")

// MaxRecordSize is n as a source's maximum record size: n itself, or
// DefaultMaxRecordSize when n < 1 (unset).
func MaxRecordSize(n int64) int64 {
	if n < 1 {
		return DefaultMaxRecordSize
	}
	return n
}

// MaxRecordSizeFor is a value of source.max-record-size that admits a
// record of n bytes, for error messages: the next power of two above n,
// in kb or mb ("1kb", "256mb").
func MaxRecordSizeFor(n int64) string {
	p := int64(1024)
	for p <= n && p < 1<<62 {
		p <<= 1
	}
	if p < 1<<20 {
		return fmt.Sprintf("%dkb", p>>10)
	}
	return fmt.Sprintf("%dmb", p>>20)
}
