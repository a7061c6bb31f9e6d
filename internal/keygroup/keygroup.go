package keygroup

import (
	"github.com/cespare/xxhash/v2"

	"github.com/weirstream/weir/codec"
)

// Range is a contiguous range of key groups: Start inclusive, End exclusive.
type Range struct{ Start, End int }

// Len is the number of groups in the range.
func (r Range) Len() int { return r.End - r.Start }

// Contains reports whether group g lies in the range.
func (r Range) Contains(g int) bool { return g >= r.Start && g < r.End }

// Of returns the key group of a key given its serialized bytes.
func Of(key []byte, maxParallelism int) int {
	return int(xxhash.Sum64(key) % uint64(maxParallelism))
}

// RangeFor returns the key groups owned by subtask i of parallelism p.
func RangeFor(maxParallelism, parallelism, subtask int) Range {
	start := (subtask*maxParallelism + parallelism - 1) / parallelism
	end := ((subtask+1)*maxParallelism - 1) / parallelism
	return Range{Start: start, End: end + 1}
}

// SubtaskFor returns the subtask of parallelism p that owns group g.
func SubtaskFor(group, maxParallelism, parallelism int) int {
	return group * parallelism / maxParallelism
}

// Grouper computes key groups of keys of type K from their codec bytes. It
// keeps scratch space, so each goroutine needs its own.
type Grouper[K any] struct {
	codec   codec.Codec[K]
	maxP    int
	scratch []byte
}

// NewGrouper returns a Grouper for keys encoded with c.
func NewGrouper[K any](c codec.Codec[K], maxParallelism int) *Grouper[K] {
	return &Grouper[K]{codec: c, maxP: maxParallelism, scratch: make([]byte, 0, 64)}
}

// Group returns k's key group. The scratch slice is stored back only when
// it grew, so that the Grouper is not written to on every record.
func (g *Grouper[K]) Group(k K) int {
	b := g.codec.Append(g.scratch[:0], k)
	if cap(b) > cap(g.scratch) {
		g.scratch = b
	}
	return Of(b, g.maxP)
}
