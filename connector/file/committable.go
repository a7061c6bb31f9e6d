package file

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
)

// committableVersion is the first byte of every sink committable.
const committableVersion = 1

// encodeCommittable encodes the commit of one part file; see the package
// doc. Both names are relative to the sink directory.
func encodeCommittable(hidden, final string) []byte {
	b := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(hidden)+len(final))
	b = append(b, committableVersion)
	b = binary.AppendUvarint(b, uint64(len(hidden)))
	b = append(b, hidden...)
	b = binary.AppendUvarint(b, uint64(len(final)))
	return append(b, final...)
}

// decodeCommittable is the inverse of encodeCommittable. It rejects names
// that would leave the sink directory.
func decodeCommittable(b []byte) (hidden, final string, err error) {
	if len(b) == 0 {
		return "", "", errors.New("empty committable")
	}
	if b[0] != committableVersion {
		return "", "", fmt.Errorf("unsupported version %d (this sink knows versions %d and %d)", b[0], committableVersion, historyVersion)
	}
	rest := b[1:]
	readName := func(what string) (string, error) {
		n, k := binary.Uvarint(rest)
		if k <= 0 {
			return "", fmt.Errorf("truncated or malformed %s length", what)
		}
		rest = rest[k:]
		if n > uint64(len(rest)) {
			return "", fmt.Errorf("%s length %d exceeds the %d bytes that follow", what, n, len(rest))
		}
		name := string(rest[:n])
		rest = rest[n:]
		if !filepath.IsLocal(name) {
			return "", fmt.Errorf("%s %q is not a path inside the sink directory", what, name)
		}
		return name, nil
	}
	if hidden, err = readName("hidden name"); err != nil {
		return "", "", err
	}
	if final, err = readName("final name"); err != nil {
		return "", "", err
	}
	if len(rest) != 0 {
		return "", "", fmt.Errorf("%d unexpected trailing bytes", len(rest))
	}
	if filepath.Clean(hidden) == filepath.Clean(final) {
		return "", "", fmt.Errorf("hidden and final name are both %q", final)
	}
	return hidden, final, nil
}
