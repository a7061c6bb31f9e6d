package state

import (
	"maps"
	"slices"
	"sync/atomic"
	"unsafe"
)

// cowMap is one key group's map of one table. Snapshots pin it; while it is
// pinned nothing writes m: the table first replaces it with an unpinned
// clone (see cowTable.write).
type cowMap[K comparable, V any] struct {
	m map[K]V
	// pins counts the snapshots that may still read m. Only the subtask's
	// goroutine increments it (Snapshot); any goroutine decrements it
	// (KeyedSnapshot.Release or the end of WriteSections).
	pins atomic.Int32
	// gen identifies this map among the clones of its table (see innerMap).
	gen uint64
}

// cowTable holds one copy-on-write map per owned key group. All methods run
// on the subtask's goroutine.
type cowTable[K comparable, V any] struct {
	groups []*cowMap[K, V]
	gen    uint64 // the last generation handed out to a clone
	// grown is the backend's count of bytes added to the heap (see
	// budget): a clone of a pinned map adds its slots, which stay live
	// until the snapshot is released.
	grown *int64
}

// slotBytes approximates a map's memory per entry of its own (not what the
// key or value point to): key and value slots and a control byte, at a
// map's average load (between 7/16 and 7/8 as it grows by doubling: about
// two thirds). maps.Clone keeps the capacity, so a clone costs as much.
func slotBytes[K comparable, V any]() int64 {
	return (int64(unsafe.Sizeof(*new(K))+unsafe.Sizeof(*new(V))) + 1) * 3 / 2
}

func newCowTable[K comparable, V any](n int, grown *int64) cowTable[K, V] {
	gs := make([]*cowMap[K, V], n)
	for i := range gs {
		gs[i] = &cowMap[K, V]{m: map[K]V{}}
	}
	return cowTable[K, V]{groups: gs, grown: grown}
}

// read returns group i's map for reading.
func (c *cowTable[K, V]) read(i int) map[K]V { return c.groups[i].m }

// write returns group i's map for writing: the current one when no snapshot
// pins it, otherwise a fresh clone that replaces it. When pins reads 0, every
// snapshot that pinned the map has released it, and the atomic decrement
// orders its reads before our writes.
func (c *cowTable[K, V]) write(i int) *cowMap[K, V] {
	if g := c.groups[i]; g.pins.Load() == 0 {
		return g
	}
	return c.clone(i)
}

func (c *cowTable[K, V]) clone(i int) *cowMap[K, V] {
	c.gen++
	g := &cowMap[K, V]{m: maps.Clone(c.groups[i].m), gen: c.gen}
	c.groups[i] = g
	*c.grown += int64(len(g.m)) * slotBytes[K, V]()
	return g
}

// clearKey deletes k from group i, without cloning a pinned group when k is
// absent, and says whether k was there.
func (c *cowTable[K, V]) clearKey(i int, k K) bool {
	if _, ok := c.groups[i].m[k]; ok {
		delete(c.write(i).m, k)
		return true
	}
	return false
}

// pin pins every group and returns them; the caller unpins them once.
func (c *cowTable[K, V]) pin() []*cowMap[K, V] {
	gs := slices.Clone(c.groups)
	for _, g := range gs {
		g.pins.Add(1)
	}
	return gs
}

func unpin[K comparable, V any](gs []*cowMap[K, V]) {
	for _, g := range gs {
		g.pins.Add(-1)
	}
}

// installAll installs ms[i] into group i, for every ms[i] that is not nil.
func (c *cowTable[K, V]) installAll(ms []map[K]V) {
	for i, m := range ms {
		if m != nil {
			c.install(i, m)
		}
	}
}

// install puts decoded restored entries into group i.
func (c *cowTable[K, V]) install(i int, m map[K]V) *cowMap[K, V] {
	g := c.write(i)
	if len(g.m) == 0 {
		g.m = m
	} else {
		maps.Copy(g.m, m)
	}
	return g
}
