package file

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Position entry versions: the first byte of every entry. Version 1 (no
// fingerprint) is still read, from checkpoints of earlier releases.
const (
	positionV1 = 1
	positionV2 = 2
)

const flagDone = 1 << 0

// entry is the decoded position of one file: how far it was read and a
// fingerprint of what was read, so a restore can tell whether the file is
// still the one the checkpoint read (see the package doc).
type entry struct {
	path   string
	offset int64 // of the next line
	done   bool
	// headLen bytes from the file's start have CRC-32C headCRC; tailLen
	// bytes just before offset (the end of the last line read) have
	// tailCRC. A length of 0 means not known (a version 1 entry, or nothing
	// read yet).
	headLen, tailLen int64
	headCRC, tailCRC uint32
}

// encodeEntry encodes the position of one file; see the package doc.
func encodeEntry(e entry) []byte {
	b := make([]byte, 0, 2+binary.MaxVarintLen64*4+8+len(e.path))
	b = append(b, positionV2)
	var flags byte
	if e.done {
		flags |= flagDone
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(e.offset))
	b = binary.AppendUvarint(b, uint64(len(e.path)))
	b = append(b, e.path...)
	b = binary.AppendUvarint(b, uint64(e.headLen))
	b = binary.BigEndian.AppendUint32(b, e.headCRC)
	b = binary.AppendUvarint(b, uint64(e.tailLen))
	return binary.BigEndian.AppendUint32(b, e.tailCRC)
}

// decodeEntry is the inverse of encodeEntry; it also reads version 1
// entries, which have no fingerprint.
func decodeEntry(b []byte) (entry, error) {
	var e entry
	if len(b) == 0 {
		return e, errors.New("empty entry")
	}
	version := b[0]
	if version != positionV1 && version != positionV2 {
		return e, fmt.Errorf("unsupported version %d (this reader knows versions %d and %d)", version, positionV1, positionV2)
	}
	if len(b) < 2 {
		return e, errors.New("truncated entry: no flags byte")
	}
	flags := b[1]
	if flags&^flagDone != 0 {
		return e, fmt.Errorf("unknown flags %#x", flags)
	}
	e.done = flags&flagDone != 0
	rest := b[2:]
	var err error
	if e.offset, rest, err = uvarint(rest, "offset"); err != nil {
		return e, err
	}
	plen, rest, err := uvarint(rest, "path length")
	if err != nil {
		return e, err
	}
	if version == positionV1 && plen != int64(len(rest)) {
		return e, fmt.Errorf("path length %d does not match the %d bytes that follow", plen, len(rest))
	}
	if plen > int64(len(rest)) {
		return e, fmt.Errorf("path length %d exceeds the %d bytes that follow", plen, len(rest))
	}
	if plen == 0 {
		return e, errors.New("empty path")
	}
	e.path, rest = string(rest[:plen]), rest[plen:]
	if version == positionV1 {
		return e, nil
	}
	if e.headLen, rest, err = uvarint(rest, "head length"); err != nil {
		return e, err
	}
	if e.headCRC, rest, err = crc(rest, "head checksum"); err != nil {
		return e, err
	}
	if e.tailLen, rest, err = uvarint(rest, "tail length"); err != nil {
		return e, err
	}
	if e.tailCRC, rest, err = crc(rest, "tail checksum"); err != nil {
		return e, err
	}
	if len(rest) != 0 {
		return e, fmt.Errorf("%d unexpected bytes after the fingerprint", len(rest))
	}
	if e.tailLen > e.offset {
		return e, fmt.Errorf("tail length %d exceeds offset %d", e.tailLen, e.offset)
	}
	return e, nil
}

func uvarint(b []byte, name string) (int64, []byte, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, fmt.Errorf("truncated or malformed %s", name)
	}
	if v > math.MaxInt64 {
		return 0, nil, fmt.Errorf("%s %d out of range", name, v)
	}
	return int64(v), b[n:], nil
}

func crc(b []byte, name string) (uint32, []byte, error) {
	if len(b) < 4 {
		return 0, nil, fmt.Errorf("truncated %s", name)
	}
	return binary.BigEndian.Uint32(b), b[4:], nil
}
