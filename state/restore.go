package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/internal/keygroup"
)

// ErrCorruptState is wrapped by the errors of Restore and of state
// registration when a snapshot section is damaged: a checksum mismatch, a
// truncated section, bad offsets, or entries that do not decode with the
// registered state's codecs. The message names the key group (and the state
// when known). Restoring from a damaged checkpoint should fall back to an
// older one.
var ErrCorruptState = errors.New("state: corrupt snapshot section")

// rawState is a restored state kept as raw payloads until it is registered.
type rawState struct {
	kind   byte
	groups [][]byte // per group relative to the backend's range; nil if none
}

// section is one parsed state of a section.
type section struct {
	name    string
	kind    byte
	payload []byte
}

// Restore loads the key groups of r that the backend owns from data, a whole
// file written by KeyedSnapshot.WriteSections for range r, whose section
// offsets are offsets. It is called before any record is processed, once per
// source file (several after a change of parallelism, each contributing the
// groups it shares with the backend's range); sections of other groups are
// not read.
//
// States already registered are decoded at once; the others are kept as raw
// bytes (copied from data) and decoded when they are registered, with the
// registered codecs. A state never registered is carried unchanged into later
// snapshots. Restore checks each section's checksum and framing; on any
// error, which wraps ErrCorruptState (or ErrStateType for a kind mismatch),
// nothing is loaded.
func (b *KeyedBackend[K]) Restore(r keygroup.Range, offsets []int64, data []byte) error {
	if b.pb != nil {
		return fmt.Errorf("%w: keyed state in the heap backend's format cannot be restored into the pebble backend", ErrBackendMismatch)
	}
	if r.Len() < 0 || len(offsets) != r.Len() {
		return fmt.Errorf("%w: %d offsets for key groups %d-%d", ErrCorruptState, len(offsets), r.Start, r.End-1)
	}
	if b.restoredGroups == nil {
		b.restoredGroups = make([]bool, b.groups.Len())
	}
	lo, hi := max(r.Start, b.groups.Start), min(r.End, b.groups.End)
	fresh := map[string]*rawState{}
	for g := lo; g < hi; g++ {
		rel := g - b.groups.Start
		if b.restoredGroups[rel] {
			return fmt.Errorf("%w: key group %d restored twice", ErrCorruptState, g)
		}
		i := g - r.Start
		start, end := offsets[i], int64(len(data))
		if i+1 < len(offsets) {
			end = offsets[i+1]
		}
		if start < 0 || start > end || end > int64(len(data)) {
			return fmt.Errorf("%w: key group %d: section %d-%d outside the %d bytes of data", ErrCorruptState, g, start, end, len(data))
		}
		secs, err := parseSection(data[start:end], g)
		if err != nil {
			return fmt.Errorf("%w: key group %d: %v", ErrCorruptState, g, err)
		}
		for _, s := range secs {
			want := s.kind
			if t, ok := b.tables[s.name]; ok {
				want = t.kindByte()
			} else if rs, ok := b.restored[s.name]; ok {
				want = rs.kind
			} else if rs, ok := fresh[s.name]; ok {
				want = rs.kind
			}
			if want != s.kind {
				return fmt.Errorf("%w: state %q in key group %d is a %s, expected %s", ErrStateType, s.name, g, kindName(s.kind), kindName(want))
			}
			rs := fresh[s.name]
			if rs == nil {
				rs = &rawState{kind: s.kind, groups: make([][]byte, b.groups.Len())}
				fresh[s.name] = rs
			}
			rs.groups[rel] = bytes.Clone(s.payload)
		}
	}
	// Decode into registered states, then install everything.
	var commits []func()
	for name, rs := range fresh {
		if t, ok := b.tables[name]; ok {
			commit, err := t.(heapTable).decode(name, rs.groups)
			if err != nil {
				return err
			}
			commits = append(commits, commit)
		}
	}
	for _, c := range commits {
		c()
	}
	for name, rs := range fresh {
		if _, ok := b.tables[name]; ok {
			continue
		}
		if old := b.restored[name]; old != nil {
			for i, p := range rs.groups {
				if p != nil {
					old.groups[i] = p
				}
			}
		} else {
			if b.restored == nil {
				b.restored = map[string]*rawState{}
			}
			b.restored[name] = rs
		}
	}
	for g := lo; g < hi; g++ {
		b.restoredGroups[g-b.groups.Start] = true
	}
	return nil
}

// parseSection checks one section (of key group g) and splits it into its
// states' payloads, which alias sec.
func parseSection(sec []byte, g int) ([]section, error) {
	if len(sec) < 4 {
		return nil, fmt.Errorf("section truncated to %d bytes", len(sec))
	}
	body := sec[:len(sec)-4]
	if want, got := binary.LittleEndian.Uint32(sec[len(body):]), crc32.Checksum(body, castagnoli); want != got {
		return nil, fmt.Errorf("checksum mismatch (stored %08x, computed %08x)", want, got)
	}
	if len(body) == 0 || body[0] != formatVersion {
		return nil, errors.New("unknown section format version")
	}
	pos := 1
	sg, pos, err := uvarintAt(body, pos, "key group")
	if err != nil {
		return nil, err
	}
	if sg != uint64(g) {
		return nil, fmt.Errorf("section holds key group %d", sg)
	}
	n, pos, err := uvarintAt(body, pos, "state count")
	if err != nil {
		return nil, err
	}
	if n > uint64(len(body)-pos)/4 { // name length, kind, payload length, count
		return nil, fmt.Errorf("state count %d exceeds the section", n)
	}
	out := make([]section, 0, n)
	for j := range int(n) {
		l, p, err := uvarintAt(body, pos, "name length")
		if err != nil {
			return nil, err
		}
		if l > uint64(len(body)-p) {
			return nil, fmt.Errorf("state %d: name length %d exceeds the section", j, l)
		}
		name := string(body[p : p+int(l)])
		pos = p + int(l)
		if j > 0 && name <= out[j-1].name {
			return nil, fmt.Errorf("state %q: names out of order or repeated", name)
		}
		if pos >= len(body) {
			return nil, fmt.Errorf("state %q: truncated", name)
		}
		kind := body[pos]
		if kind < kindValue || kind > kindMap {
			return nil, fmt.Errorf("state %q: unknown kind %d", name, kind)
		}
		l, p, err = uvarintAt(body, pos+1, "payload length")
		if err != nil {
			return nil, fmt.Errorf("state %q: %v", name, err)
		}
		if l > uint64(len(body)-p) {
			return nil, fmt.Errorf("state %q: payload length %d exceeds the section", name, l)
		}
		payload := body[p : p+int(l)]
		pos = p + int(l)
		cnt, _, err := uvarintAt(payload, 0, "entry count")
		if err != nil {
			return nil, fmt.Errorf("state %q: %v", name, err)
		}
		// An entry takes at least one byte unless key and value are both
		// zero-size, and then there is at most one entry.
		if cnt == 0 || cnt > uint64(len(payload)) {
			return nil, fmt.Errorf("state %q: entry count %d does not fit the payload", name, cnt)
		}
		out = append(out, section{name: name, kind: kind, payload: payload})
	}
	if pos != len(body) {
		return nil, fmt.Errorf("%d trailing bytes", len(body)-pos)
	}
	return out, nil
}

func uvarintAt(p []byte, pos int, what string) (uint64, int, error) {
	x, n := binary.Uvarint(p[pos:])
	if n <= 0 {
		return 0, pos, fmt.Errorf("bad %s varint at offset %d", what, pos)
	}
	return x, pos + n, nil
}

// decodeAt decodes one value with c at p[pos:], checking what the codec
// reports as consumed.
func decodeAt[T any](c codec.Codec[T], p []byte, pos int) (T, int, error) {
	v, n, err := c.Decode(p[pos:])
	if err != nil {
		return v, pos, err
	}
	if n < 0 || n > len(p)-pos {
		var zero T
		return zero, pos, fmt.Errorf("codec consumed %d of %d bytes", n, len(p)-pos)
	}
	return v, pos + n, nil
}

// decodeGroups decodes each group's payload into a map with decodeEntries
// and the value decoder dv, which decodes one entry's value at p[pos:].
func decodeGroups[K comparable, V any](b *KeyedBackend[K], name string, raw [][]byte,
	dv func(p []byte, pos int) (V, int, error)) ([]map[K]V, error) {
	out := make([]map[K]V, len(raw))
	for i, p := range raw {
		if p == nil {
			continue
		}
		g := b.groups.Start + i
		m, err := decodeEntries(b, p, g, dv)
		if err != nil {
			return nil, fmt.Errorf("%w: state %q, key group %d: %w", ErrCorruptState, name, g, err)
		}
		out[i] = m
	}
	return out, nil
}

// decodeEntries decodes a payload: entry count, then (key, value) entries.
// Every key must belong to group g and appear once.
func decodeEntries[K comparable, V any](b *KeyedBackend[K], p []byte, g int,
	dv func(p []byte, pos int) (V, int, error)) (map[K]V, error) {
	cnt, pos, err := uvarintAt(p, 0, "entry count")
	if err != nil {
		return nil, err
	}
	if cnt > uint64(len(p)) {
		return nil, fmt.Errorf("entry count %d exceeds the payload", cnt)
	}
	m := make(map[K]V, cnt)
	for j := range int(cnt) {
		start := pos
		k, p2, err := decodeAt(b.kc, p, pos)
		if err != nil {
			return nil, fmt.Errorf("entry %d key: %w", j, err)
		}
		if kg := keygroup.Of(p[start:p2], b.maxP); kg != g {
			return nil, fmt.Errorf("entry %d: key %v belongs to key group %d", j, k, kg)
		}
		v, p3, err := dv(p, p2)
		if err != nil {
			return nil, fmt.Errorf("entry %d (key %v) value: %w", j, k, err)
		}
		pos = p3
		m[k] = v
		if len(m) != j+1 {
			return nil, fmt.Errorf("entry %d: key %v repeated", j, k)
		}
	}
	if pos != len(p) {
		return nil, fmt.Errorf("%d trailing bytes after %d entries", len(p)-pos, cnt)
	}
	return m, nil
}

// countAt reads the nonzero element count of a list or inner map at p[pos:].
func countAt(p []byte, pos int) (int, int, error) {
	n, q, err := uvarintAt(p, pos, "element count")
	if err != nil {
		return 0, pos, err
	}
	if n == 0 {
		return 0, pos, errors.New("empty list or map stored")
	}
	if n > uint64(len(p)) && n > 1<<20 {
		// Only zero-size elements could need more elements than bytes; bound
		// the work a damaged count can cause.
		return 0, pos, fmt.Errorf("element count %d exceeds the payload", n)
	}
	return int(n), q, nil
}

func (t *valueTable[K, V]) decode(name string, raw [][]byte) (func(), error) {
	ms, err := decodeGroups(t.b, name, raw, func(p []byte, pos int) (V, int, error) {
		return decodeAt(t.vc, p, pos)
	})
	if err != nil {
		return nil, err
	}
	return func() { t.installAll(ms) }, nil
}

func (t *listTable[K, V]) decode(name string, raw [][]byte) (func(), error) {
	ms, err := decodeGroups(t.b, name, raw, func(p []byte, pos int) ([]V, int, error) {
		n, pos, err := countAt(p, pos)
		if err != nil {
			return nil, pos, err
		}
		vs := make([]V, 0, min(n, len(p)-pos+1))
		for range n {
			var v V
			if v, pos, err = decodeAt(t.vc, p, pos); err != nil {
				return nil, pos, err
			}
			vs = append(vs, v)
		}
		return vs, pos, nil
	})
	if err != nil {
		return nil, err
	}
	return func() { t.installAll(ms) }, nil
}

func (t *mapTable[K, UK, UV]) decode(name string, raw [][]byte) (func(), error) {
	ms, err := decodeGroups(t.b, name, raw, func(p []byte, pos int) (*innerMap[UK, UV], int, error) {
		n, pos, err := countAt(p, pos)
		if err != nil {
			return nil, pos, err
		}
		m := make(map[UK]UV, min(n, len(p)-pos+1))
		for j := range n {
			var uk UK
			var uv UV
			if uk, pos, err = decodeAt(t.ukc, p, pos); err != nil {
				return nil, pos, err
			}
			if uv, pos, err = decodeAt(t.uvc, p, pos); err != nil {
				return nil, pos, err
			}
			m[uk] = uv
			if len(m) != j+1 {
				return nil, pos, fmt.Errorf("map key %v repeated", uk)
			}
		}
		return &innerMap[UK, UV]{m: m}, pos, nil
	})
	if err != nil {
		return nil, err
	}
	return func() {
		for i, m := range ms {
			if m == nil {
				continue
			}
			g := t.install(i, m)
			for _, in := range m {
				in.gen = g.gen
			}
		}
	}, nil
}
