package web

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"

	"github.com/weirstream/weir/cluster"
)

// VertexID is the REST API's ID of a job vertex: 32 hexadecimal digits,
// derived from the UID of the vertex's head operator as Flink derives a
// JobVertexID from a user-specified operator UID (128-bit MurmurHash3 with
// seed 0 of the UID's UTF-8 bytes, as Guava's Hashing.murmur3_128(0)). It is
// stable across runs as long as the head operator's UID is.
func VertexID(headUID string) string {
	h1, h2 := murmur3x64_128([]byte(headUID), 0)
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], h1)
	binary.LittleEndian.PutUint64(b[8:], h2)
	return hex.EncodeToString(b[:])
}

// vertexIDs returns the REST IDs of vs, indexed like vs (by vertex index).
func vertexIDs(vs []cluster.VertexStatus) []string {
	ids := make([]string, len(vs))
	for i, v := range vs {
		if len(v.Operators) > 0 {
			ids[i] = VertexID(v.Operators[0].UID)
		} else {
			ids[i] = fmt.Sprintf("%032x", v.ID)
		}
	}
	return ids
}

// murmur3x64_128 is MurmurHash3's x64 128-bit variant.
func murmur3x64_128(data []byte, seed uint64) (h1, h2 uint64) {
	const c1, c2 = 0x87c37b91114253d5, 0x4cf5ad432745937f
	h1, h2 = seed, seed
	n := len(data)
	for len(data) >= 16 {
		k1 := binary.LittleEndian.Uint64(data)
		k2 := binary.LittleEndian.Uint64(data[8:])
		data = data[16:]
		h1 ^= bits.RotateLeft64(k1*c1, 31) * c2
		h1 = (bits.RotateLeft64(h1, 27)+h2)*5 + 0x52dce729
		h2 ^= bits.RotateLeft64(k2*c2, 33) * c1
		h2 = (bits.RotateLeft64(h2, 31)+h1)*5 + 0x38495ab5
	}
	var k1, k2 uint64
	for i, b := range data {
		if i < 8 {
			k1 |= uint64(b) << (8 * i)
		} else {
			k2 |= uint64(b) << (8 * (i - 8))
		}
	}
	if len(data) > 8 {
		h2 ^= bits.RotateLeft64(k2*c2, 33) * c1
	}
	if len(data) > 0 {
		h1 ^= bits.RotateLeft64(k1*c1, 31) * c2
	}
	h1 ^= uint64(n)
	h2 ^= uint64(n)
	h1 += h2
	h2 += h1
	h1, h2 = fmix64(h1), fmix64(h2)
	h1 += h2
	h2 += h1
	return h1, h2
}

func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}
