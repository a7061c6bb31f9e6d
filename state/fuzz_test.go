package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"testing"

	"github.com/weirstream/weir/internal/keygroup"
)

const fuzzMaxP = 8

// FuzzRestore feeds damaged files and offsets to Restore and to the
// registration that decodes them: errors must wrap ErrCorruptState or
// ErrStateType, nothing may panic, and whatever was accepted must survive
// another snapshot and restore. With fixCRC the checksums are recomputed
// first, so that the fuzzer reaches the parsing and decoding behind them.
func FuzzRestore(f *testing.F) {
	all := keygroup.Range{Start: 0, End: fuzzMaxP}
	b := newBackend(fuzzMaxP, all)
	h := registerAll(f, b)
	fill(f, b, h, newModel(), rand.New(rand.NewPCG(1, 1)), 40, 150)
	seed := snapshot(f, b)
	f.Add(seed.data, encodeOffsets(seed.offsets), false)
	f.Add(seed.data, encodeOffsets(seed.offsets), true)
	empty := snapshot(f, newBackend(fuzzMaxP, all))
	f.Add(empty.data, encodeOffsets(empty.offsets), true)

	f.Fuzz(func(t *testing.T, data, offs []byte, fixCRC bool) {
		ok := func(err error) bool {
			if err == nil {
				return true
			}
			if !errors.Is(err, ErrCorruptState) && !errors.Is(err, ErrStateType) {
				t.Fatalf("error wraps neither ErrCorruptState nor ErrStateType: %v", err)
			}
			return false
		}
		var offsets []int64
		for len(offs) >= 4 {
			offsets = append(offsets, int64(int32(binary.LittleEndian.Uint32(offs))))
			offs = offs[4:]
		}
		if fixCRC && len(offsets) == fuzzMaxP {
			data = bytes.Clone(data)
			for i, start := range offsets {
				end := int64(len(data))
				if i+1 < len(offsets) {
					end = offsets[i+1]
				}
				if start >= 0 && start+4 <= end && end <= int64(len(data)) {
					binary.LittleEndian.PutUint32(data[end-4:], crc32.Checksum(data[start:end-4], castagnoli))
				}
			}
		}
		r := keygroup.Range{Start: 2, End: 7}
		b := newBackend(fuzzMaxP, r)
		if !ok(b.Restore(all, offsets, data)) {
			if len(b.restored) != 0 {
				t.Fatal("a failed Restore kept state")
			}
			return
		}
		// Register what decodes; the rest stays raw.
		_, err := GetValueState[int64, string](b, "v")
		ok(err)
		_, err = GetListState[int64, int64](b, "l")
		ok(err)
		_, err = GetMapState[int64, string, int64](b, "m")
		ok(err)
		_, err = GetValueState[int64, avgAcc](b, "a")
		ok(err)
		f := snapshot(t, b)
		b2 := newBackend(fuzzMaxP, r)
		if err := b2.Restore(r, f.offsets, f.data); err != nil {
			t.Fatalf("restoring what was accepted: %v", err)
		}
	})
}

func encodeOffsets(offs []int64) []byte {
	var out []byte
	for _, o := range offs {
		out = binary.LittleEndian.AppendUint32(out, uint32(o))
	}
	return out
}
