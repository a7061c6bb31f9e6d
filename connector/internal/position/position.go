// Package position encodes the checkpointed position of a generated
// source's split (datagen, nexmark) as a version byte followed by unsigned
// varints, and decodes it with errors that say what is wrong.
package position

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Encode returns version followed by vals as uvarints.
func Encode(version byte, vals ...uint64) []byte {
	b := make([]byte, 0, 1+len(vals)*binary.MaxVarintLen64)
	b = append(b, version)
	for _, v := range vals {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

// Decode reads an entry written by Encode with the same version and
// len(names) values; names name the fields in errors ("truncated or
// malformed stride"). Every value fits an int64.
func Decode(b []byte, version byte, names ...string) ([]uint64, error) {
	if len(b) == 0 {
		return nil, errors.New("empty entry")
	}
	if b[0] != version {
		return nil, fmt.Errorf("unsupported version %d (this reader knows version %d)", b[0], version)
	}
	out := make([]uint64, len(names))
	off := 1
	for i, name := range names {
		x, n := binary.Uvarint(b[off:])
		if n <= 0 {
			return nil, fmt.Errorf("truncated or malformed %s", name)
		}
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("%s out of range", name)
		}
		out[i], off = x, off+n
	}
	if off != len(b) {
		return nil, fmt.Errorf("%d trailing bytes", len(b)-off)
	}
	return out, nil
}
