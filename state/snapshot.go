package state

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"slices"
	"sync/atomic"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/internal/keygroup"
)

// Kinds of state as written in a snapshot section.
const (
	kindValue byte = 1 // ValueState, ReducingState, AggregatingState
	kindList  byte = 2
	kindMap   byte = 3
)

func kindName(k byte) string {
	switch k {
	case kindValue:
		return "ValueState"
	case kindList:
		return "ListState"
	case kindMap:
		return "MapState"
	}
	return "unknown kind"
}

// formatVersion is the first byte of every section.
const formatVersion byte = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrSnapshotReleased is returned by WriteSections on a released snapshot.
var ErrSnapshotReleased = errors.New("state: snapshot already released")

// KeyedSnapshot is an immutable view of a KeyedBackend's state taken by
// Snapshot. Its methods are safe for concurrent use, from any goroutine,
// concurrently with the subtask writing the backend.
type KeyedSnapshot struct {
	groups   keygroup.Range
	states   []snapState // by name
	entries  int64
	refs     atomic.Int32 // 1 for the owner until Release, +1 per running write
	released atomic.Bool
}

type snapState struct {
	name string
	kind byte
	snap tableSnap
}

// tableSnap is the pinned, immutable view of one state. Groups are indexed
// relative to the snapshot's range.
type tableSnap interface {
	// entries is the number of keys in group i.
	entries(i int) int
	// appendPayload appends group i's payload (entry count, entries);
	// called only when entries(i) > 0.
	appendPayload(dst []byte, i int) []byte
	// release unpins; called once.
	release()
}

// Snapshot captures every state of the backend as it is now. It runs on the
// subtask's goroutine in time proportional to the number of states times the
// number of key groups, independent of the number of keys: it pins each
// group's map, and later writes to a pinned group go to a copy. The caller
// writes the snapshot with WriteSections (on any goroutine) and must call
// Release when done with it, written or not, so that writes stop copying.
// The error is reserved for backends that can fail here; the heap backend
// returns nil.
func (b *KeyedBackend[K]) Snapshot() (*KeyedSnapshot, error) {
	if b.pb != nil {
		return nil, errors.New("state: Snapshot is the heap backend's; use Checkpoint")
	}
	names := make([]string, 0, len(b.tables)+len(b.restored))
	for name := range b.tables {
		names = append(names, name)
	}
	for name := range b.restored {
		names = append(names, name)
	}
	slices.Sort(names)
	s := &KeyedSnapshot{groups: b.groups, states: make([]snapState, len(names))}
	for i, name := range names {
		st := snapState{name: name}
		if t, ok := b.tables[name]; ok {
			st.kind, st.snap = t.kindByte(), t.(heapTable).snapshot()
		} else {
			rs := b.restored[name]
			// The payloads are never modified; copy the slice of them
			// because a later Restore may fill more groups.
			st.kind, st.snap = rs.kind, rawSnap(slices.Clone(rs.groups))
		}
		for g := range b.groups.Len() {
			s.entries += int64(st.snap.entries(g))
		}
		s.states[i] = st
	}
	s.refs.Store(1)
	return s, nil
}

// Snapshot is a backend's view of its state for one checkpoint: a
// *KeyedSnapshot (heap) or a *PebbleSnapshot (pebble). Release frees it.
type Snapshot interface{ Release() }

// Checkpoint takes the synchronous part of checkpoint id: Snapshot for the
// heap backend; for the pebble backend, a flush of the memtable and a
// Pebble checkpoint of hard links.
func (b *KeyedBackend[K]) Checkpoint(id int64) (Snapshot, error) {
	if b.pb != nil {
		return b.pb.snapshot(id)
	}
	return b.Snapshot()
}

// OnCheckpointComplete drops the local checkpoint copies older than id
// (pebble backend with local recovery).
func (b *KeyedBackend[K]) OnCheckpointComplete(id int64) {
	if b.pb != nil && b.pb.opts.LocalRecovery {
		b.pb.dropLocal(id)
	}
}

// Close releases the backend: the pebble backend closes its database and
// deletes its directory. The heap backend has nothing to release.
func (b *KeyedBackend[K]) Close() error {
	if b.pb != nil {
		return b.pb.close()
	}
	return nil
}

// Backend names the backend: "heap" or "pebble".
func (b *KeyedBackend[K]) Backend() string {
	if b.pb != nil {
		return "pebble"
	}
	return "heap"
}

// KeyGroups is the range of key groups the snapshot covers.
func (s *KeyedSnapshot) KeyGroups() keygroup.Range { return s.groups }

// Entries is the number of (state, key) entries in the snapshot, restored
// but unregistered states included.
func (s *KeyedSnapshot) Entries() int64 { return s.entries }

// Release unpins the snapshot's maps; a WriteSections in progress finishes
// first (the last of the two unpins). It is idempotent and never blocks.
func (s *KeyedSnapshot) Release() {
	if s.released.CompareAndSwap(false, true) {
		s.drop()
	}
}

func (s *KeyedSnapshot) acquire() bool {
	for {
		n := s.refs.Load()
		if n <= 0 {
			return false
		}
		if s.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (s *KeyedSnapshot) drop() {
	if s.refs.Add(-1) == 0 {
		for _, st := range s.states {
			st.snap.release()
		}
	}
}

// WriteSections writes the snapshot to w, one section per key group of the
// snapshot's range in increasing order (format: doc.go and
// docs/state-format.md), and returns the offset of each section relative to
// the first byte written, and the number of bytes written. It may run on any
// goroutine, concurrently with the subtask writing the backend, and more
// than once. On a write error it returns the bytes written and no offsets.
// It implements operator.KeyedSnapshot.
func (s *KeyedSnapshot) WriteSections(w io.Writer) (offsets []int64, size int64, err error) {
	if !s.acquire() {
		return nil, 0, ErrSnapshotReleased
	}
	defer s.drop()
	offsets = make([]int64, s.groups.Len())
	var sec, payload []byte
	for i := range offsets {
		offsets[i] = size
		sec = append(sec[:0], formatVersion)
		sec = binary.AppendUvarint(sec, uint64(s.groups.Start+i))
		n := 0
		for _, st := range s.states {
			if st.snap.entries(i) > 0 {
				n++
			}
		}
		sec = binary.AppendUvarint(sec, uint64(n))
		for _, st := range s.states {
			if st.snap.entries(i) == 0 {
				continue
			}
			payload = st.snap.appendPayload(payload[:0], i)
			sec = binary.AppendUvarint(sec, uint64(len(st.name)))
			sec = append(sec, st.name...)
			sec = append(sec, st.kind)
			sec = binary.AppendUvarint(sec, uint64(len(payload)))
			sec = append(sec, payload...)
		}
		sec = binary.LittleEndian.AppendUint32(sec, crc32.Checksum(sec, castagnoli))
		m, err := w.Write(sec)
		size += int64(m)
		if err == nil && m < len(sec) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return nil, size, err
		}
	}
	return offsets, size, nil
}

// ---- per-kind views ----

type valueSnap[K comparable, V any] struct {
	gs []*cowMap[K, V]
	kc codec.Codec[K]
	vc codec.Codec[V]
}

func (t *valueTable[K, V]) snapshot() tableSnap {
	return &valueSnap[K, V]{gs: t.pin(), kc: t.b.kc, vc: t.vc}
}

func (s *valueSnap[K, V]) entries(i int) int { return len(s.gs[i].m) }
func (s *valueSnap[K, V]) release()          { unpin(s.gs) }
func (s *valueSnap[K, V]) appendPayload(dst []byte, i int) []byte {
	m := s.gs[i].m
	dst = binary.AppendUvarint(dst, uint64(len(m)))
	for k, v := range m {
		dst = s.kc.Append(dst, k)
		dst = s.vc.Append(dst, v)
	}
	return dst
}

type listSnap[K comparable, V any] struct {
	gs []*cowMap[K, []V]
	kc codec.Codec[K]
	vc codec.Codec[V]
}

func (t *listTable[K, V]) snapshot() tableSnap {
	return &listSnap[K, V]{gs: t.pin(), kc: t.b.kc, vc: t.vc}
}

func (s *listSnap[K, V]) entries(i int) int { return len(s.gs[i].m) }
func (s *listSnap[K, V]) release()          { unpin(s.gs) }
func (s *listSnap[K, V]) appendPayload(dst []byte, i int) []byte {
	m := s.gs[i].m
	dst = binary.AppendUvarint(dst, uint64(len(m)))
	for k, vs := range m {
		dst = s.kc.Append(dst, k)
		dst = binary.AppendUvarint(dst, uint64(len(vs)))
		for _, v := range vs {
			dst = s.vc.Append(dst, v)
		}
	}
	return dst
}

type mapSnap[K, UK comparable, UV any] struct {
	gs  []*cowMap[K, *innerMap[UK, UV]]
	kc  codec.Codec[K]
	ukc codec.Codec[UK]
	uvc codec.Codec[UV]
}

func (t *mapTable[K, UK, UV]) snapshot() tableSnap {
	return &mapSnap[K, UK, UV]{gs: t.pin(), kc: t.b.kc, ukc: t.ukc, uvc: t.uvc}
}

func (s *mapSnap[K, UK, UV]) entries(i int) int { return len(s.gs[i].m) }
func (s *mapSnap[K, UK, UV]) release()          { unpin(s.gs) }
func (s *mapSnap[K, UK, UV]) appendPayload(dst []byte, i int) []byte {
	m := s.gs[i].m
	dst = binary.AppendUvarint(dst, uint64(len(m)))
	for k, in := range m {
		dst = s.kc.Append(dst, k)
		dst = binary.AppendUvarint(dst, uint64(len(in.m)))
		for uk, uv := range in.m {
			dst = s.ukc.Append(dst, uk)
			dst = s.uvc.Append(dst, uv)
		}
	}
	return dst
}

// rawSnap carries the payloads of a restored state that was never
// registered, unchanged. Payloads start with a valid entry count (checked by
// Restore).
type rawSnap [][]byte

func (s rawSnap) entries(i int) int {
	if len(s[i]) == 0 {
		return 0
	}
	n, _ := binary.Uvarint(s[i])
	return int(n)
}
func (rawSnap) release() {}
func (s rawSnap) appendPayload(dst []byte, i int) []byte {
	return append(dst, s[i]...)
}
