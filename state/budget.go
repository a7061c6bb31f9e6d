package state

import (
	"errors"
	"fmt"
	"runtime/metrics"
	"sort"
	"sync/atomic"
	"unsafe"

	"github.com/weirstream/weir/internal/units"
)

// ErrHeapBudget is wrapped by the error of a heap backend write when the
// process's live heap exceeds the backend's memory budget: the job fails
// with a message naming the state and its size, instead of slowing down in
// the garbage collector until the process runs out of memory. The cure is
// the pebble backend, or a larger budget.
var ErrHeapBudget = errors.New("keyed state outgrew the heap state backend's memory budget")

// budget is a heap backend's memory budget.
//
// The runtime measures the live heap (/gc/heap/live) only at the end of a
// garbage collection, so between collections that figure is stale: state
// that grows quickly, or a checkpoint whose copy-on-write copies the
// state's maps and whose encoded snapshot is held until stored, can add a
// whole collection cycle's headroom before the next collection reports it
// (issue 11 item 9: 230 MiB of live heap against a budget of 140 MiB). So
// the check estimates the live heap now: the last collection's figure plus
// what every heap backend of the process added since (heapGrowth). (The
// runtime streams snapshots to storage as it encodes them, so they add
// little.) Each write adds its estimated bytes to KeyedBackend.grown (an
// addition on the subtask's goroutine); the check runs every checkEvery
// writes, or sooner once checkBytes have been added, and folds grown into
// heapGrowth.
type budget struct {
	limit    int64
	source   string // where the limit comes from, for the message
	operator string
	writes   uint32
	// cycle is the collection after which this backend last refreshed its
	// tables' per-entry estimates.
	cycle  uint64
	sample []metrics.Sample
}

const (
	checkEvery = 1024
	checkBytes = 1 << 20
)

// heapGrowth is what the heap backends of the process added to the heap
// since collection number cycle ended: new entries and map copies held by
// snapshots. The first check that sees a later collection resets it, as
// that collection's live heap includes them (what was added between the
// collection's end and the reset is dropped: at most one check's worth per
// backend).
var heapGrowth struct {
	cycle atomic.Uint64
	bytes atomic.Int64
}

// SetMemoryBudget makes the heap backend fail writes with ErrHeapBudget
// once the process's live heap, estimated as above, exceeds limit bytes.
// source says where the limit came from and operator names the operator,
// both for the message. A limit of 0 turns the check off. The pebble
// backend ignores it.
func (b *KeyedBackend[K]) SetMemoryBudget(limit int64, source, operator string) {
	if limit <= 0 || b.pb != nil {
		b.budget = nil
		return
	}
	b.grown = 0 // what was written before is in the live heap by the next collection
	b.budget = &budget{limit: limit, source: source, operator: operator,
		sample: []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/live:bytes"}}}
}

// charge counts one write and checks the budget every checkEvery writes or
// once the writes since the last check added checkBytes.
func (b *KeyedBackend[K]) charge() error {
	bg := b.budget
	if bg == nil {
		return nil
	}
	bg.writes++
	if bg.writes%checkEvery != 0 && b.grown < checkBytes {
		return nil
	}
	return b.checkBudget()
}

// checkBudget estimates the live heap and fails when it is over the limit.
func (b *KeyedBackend[K]) checkBudget() error {
	bg := b.budget
	heapGrowth.bytes.Add(b.grown)
	b.grown = 0
	metrics.Read(bg.sample)
	if bg.sample[0].Value.Kind() != metrics.KindUint64 || bg.sample[1].Value.Kind() != metrics.KindUint64 {
		return nil
	}
	cycle, live := bg.sample[0].Value.Uint64(), int64(bg.sample[1].Value.Uint64())
	if seen := heapGrowth.cycle.Load(); cycle > seen && heapGrowth.cycle.CompareAndSwap(seen, cycle) {
		heapGrowth.bytes.Store(0)
	}
	if cycle != bg.cycle {
		bg.cycle = cycle
		for _, t := range b.tables {
			if s, ok := t.(sizedTable); ok {
				s.refreshSizes()
			}
		}
	}
	grown := max(heapGrowth.bytes.Load(), 0)
	if live+grown <= bg.limit {
		return nil
	}
	return b.budgetError(live, grown)
}

// budgetError names the backend's largest state and its estimated size.
// live is the live heap at the last collection and grown what the heap
// backends added since.
func (b *KeyedBackend[K]) budgetError(live, grown int64) error {
	type est struct {
		name  string
		keys  int
		bytes int64
	}
	var all []est
	for name, t := range b.tables {
		if h, ok := t.(sizedTable); ok {
			k, n := h.estimate()
			all = append(all, est{name, k, n})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].bytes > all[j].bytes })
	what := "no registered state"
	if len(all) > 0 {
		what = fmt.Sprintf("its largest state %q holds about %s in %d keys", all[0].name, units.Bytes(all[0].bytes), all[0].keys)
	}
	heap := "the live heap is " + units.Bytes(live)
	if grown > 0 {
		heap = fmt.Sprintf("the live heap is about %s (%s at the last garbage collection, and %s of state added since)",
			units.Bytes(live+grown), units.Bytes(live), units.Bytes(grown))
	}
	return fmt.Errorf("%w: operator %q: %s, over the budget of %s (%s), and %s; set state.backend.type: pebble to keep state on local disk, or raise state.backend.heap.memory-budget",
		ErrHeapBudget, b.budget.operator, heap, units.Bytes(b.budget.limit), b.budget.source, what)
}

// sizedTable estimates a heap table's size: keys and approximate bytes (the
// encoded size of a sample of entries, scaled, for what keys and values
// point to, plus the map's own bytes per entry, slotBytes). refreshSizes updates the table's per-entry estimates that
// its writes add to the budget's growth, from such a sample.
type sizedTable interface {
	estimate() (keys int, bytes int64)
	refreshSizes()
}

// entryOverhead approximates what a Go map spends per entry beyond the
// key's and value's own bytes (slot, control byte, load factor).
const entryOverhead = 48

// mapOverhead approximates a MapState key's map before its entries: the
// innerMap, the Go map's header and its first group of slots.
const mapOverhead = 96

// estimateCow samples up to 64 entries of a cow table with enc, which
// returns an entry's encoded size.
func estimateCow[K comparable, V any](c *cowTable[K, V], enc func(K, V) int) (int, int64) {
	keys, sampled, sampledBytes := 0, 0, 0
	for _, g := range c.groups {
		keys += len(g.m)
		for k, v := range g.m {
			if sampled >= 64 {
				break
			}
			sampled++
			sampledBytes += enc(k, v)
		}
	}
	if sampled == 0 {
		return 0, 0
	}
	return keys, int64(keys) * (int64(sampledBytes)/int64(sampled) + slotBytes[K, V]())
}

func (t *valueTable[K, V]) estimate() (int, int64) {
	var buf []byte
	return estimateCow(&t.cowTable, func(k K, v V) int {
		buf = t.vc.Append(t.b.kc.Append(buf[:0], k), v)
		return len(buf)
	})
}

func (t *listTable[K, V]) estimate() (int, int64) {
	var buf []byte
	return estimateCow(&t.cowTable, func(k K, vs []V) int {
		buf = t.b.kc.Append(buf[:0], k)
		for _, v := range vs {
			buf = t.vc.Append(buf, v)
		}
		return len(buf) + 24 // slice header
	})
}

func (t *mapTable[K, UK, UV]) estimate() (int, int64) {
	var buf []byte
	return estimateCow(&t.cowTable, func(k K, in *innerMap[UK, UV]) int {
		buf = t.b.kc.Append(buf[:0], k)
		for uk, uv := range in.m {
			buf = t.uvc.Append(t.ukc.Append(buf, uk), uv)
		}
		return len(buf) + len(in.m)*entryOverhead
	})
}

func (t *valueTable[K, V]) refreshSizes() {
	if keys, bytes := t.estimate(); keys > 0 {
		t.entry = bytes / int64(keys)
	}
}

// refreshSizes samples up to 64 keys: an element costs at least its own
// size, or its encoding when that is larger (what it points to), plus a
// quarter for append's spare capacity.
func (t *listTable[K, V]) refreshSizes() {
	var buf []byte
	elems, bytes := 0, 0
	for _, g := range t.groups {
		for _, vs := range g.m {
			if elems >= 64 {
				break
			}
			for _, v := range vs[:min(len(vs), 64)] {
				buf = t.vc.Append(buf[:0], v)
				elems++
				bytes += len(buf)
			}
		}
	}
	if elems > 0 {
		t.elem = max(int64(bytes/elems), int64(unsafe.Sizeof(*new(V)))) * 5 / 4
	}
}

// refreshSizes samples up to 64 inner entries: an entry costs its slots
// plus its encoding (for what keys and values point to).
func (t *mapTable[K, UK, UV]) refreshSizes() {
	var buf []byte
	elems, bytes := 0, 0
	for _, g := range t.groups {
		for _, in := range g.m {
			if elems >= 64 {
				break
			}
			for uk, uv := range in.m {
				buf = t.uvc.Append(t.ukc.Append(buf[:0], uk), uv)
				elems++
				bytes += len(buf)
				if elems >= 64 {
					break
				}
			}
		}
	}
	if elems > 0 {
		t.elem = slotBytes[UK, UV]() + int64(bytes/elems)
	}
}
