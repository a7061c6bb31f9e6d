package file

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// positionVersion is the first byte of every position entry.
const positionVersion = 1

const flagDone = 1 << 0

// encodeEntry encodes the position of one file; see the package doc.
func encodeEntry(path string, offset int64, done bool) []byte {
	b := make([]byte, 0, 2+binary.MaxVarintLen64*2+len(path))
	b = append(b, positionVersion)
	var flags byte
	if done {
		flags |= flagDone
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(offset))
	b = binary.AppendUvarint(b, uint64(len(path)))
	return append(b, path...)
}

// decodeEntry is the inverse of encodeEntry.
func decodeEntry(b []byte) (path string, offset int64, done bool, err error) {
	if len(b) == 0 {
		return "", 0, false, errors.New("empty entry")
	}
	if b[0] != positionVersion {
		return "", 0, false, fmt.Errorf("unsupported version %d (this reader knows version %d)", b[0], positionVersion)
	}
	if len(b) < 2 {
		return "", 0, false, errors.New("truncated entry: no flags byte")
	}
	flags := b[1]
	if flags&^flagDone != 0 {
		return "", 0, false, fmt.Errorf("unknown flags %#x", flags)
	}
	rest := b[2:]
	off, n := binary.Uvarint(rest)
	if n <= 0 {
		return "", 0, false, errors.New("truncated or malformed offset")
	}
	if off > math.MaxInt64 {
		return "", 0, false, fmt.Errorf("offset %d out of range", off)
	}
	rest = rest[n:]
	plen, n := binary.Uvarint(rest)
	if n <= 0 {
		return "", 0, false, errors.New("truncated or malformed path length")
	}
	rest = rest[n:]
	if plen != uint64(len(rest)) {
		return "", 0, false, fmt.Errorf("path length %d does not match the %d bytes that follow", plen, len(rest))
	}
	if plen == 0 {
		return "", 0, false, errors.New("empty path")
	}
	return string(rest), int64(off), flags&flagDone != 0, nil
}
