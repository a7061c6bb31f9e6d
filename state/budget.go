package state

import (
	"errors"
	"fmt"
	"runtime/metrics"
	"sort"

	"github.com/weirstream/weir/internal/units"
)

// ErrHeapBudget is wrapped by the error of a heap backend write when the
// process's live heap exceeds the backend's memory budget: the job fails
// with a message naming the state and its size, instead of slowing down in
// the garbage collector until the process runs out of memory. The cure is
// the pebble backend, or a larger budget.
var ErrHeapBudget = errors.New("keyed state outgrew the heap state backend's memory budget")

// budget is a heap backend's memory budget. The live heap is read every
// checkEvery writes (a counter on the hot path, a runtime/metrics read
// otherwise), so the check costs nothing measurable.
type budget struct {
	limit    int64
	source   string // where the limit comes from, for the message
	operator string
	writes   uint32
	sample   []metrics.Sample
}

const checkEvery = 1024

// SetMemoryBudget makes the heap backend fail writes with ErrHeapBudget
// once the process's live heap exceeds limit bytes. source says where the
// limit came from and operator names the operator, both for the message.
// A limit of 0 turns the check off. The pebble backend ignores it.
func (b *KeyedBackend[K]) SetMemoryBudget(limit int64, source, operator string) {
	if limit <= 0 || b.pb != nil {
		b.budget = nil
		return
	}
	b.budget = &budget{limit: limit, source: source, operator: operator,
		sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
}

// charge counts one write and checks the budget every checkEvery writes.
func (b *KeyedBackend[K]) charge() error {
	bg := b.budget
	if bg == nil {
		return nil
	}
	bg.writes++
	if bg.writes%checkEvery != 0 {
		return nil
	}
	metrics.Read(bg.sample)
	if bg.sample[0].Value.Kind() != metrics.KindUint64 {
		return nil
	}
	live := int64(bg.sample[0].Value.Uint64())
	if live <= bg.limit {
		return nil
	}
	return b.budgetError(live)
}

// budgetError names the backend's largest state and its estimated size.
func (b *KeyedBackend[K]) budgetError(live int64) error {
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
	return fmt.Errorf("%w: operator %q: the live heap is %s, over the budget of %s (%s), and %s; set state.backend.type: pebble to keep state on local disk, or raise state.backend.heap.memory-budget",
		ErrHeapBudget, b.budget.operator, units.Bytes(live), units.Bytes(b.budget.limit), b.budget.source, what)
}

// sizedTable estimates a heap table's size: keys and approximate bytes (the
// encoded size of a sample of entries, scaled, plus a per-entry overhead
// for the map).
type sizedTable interface {
	estimate() (keys int, bytes int64)
}

// entryOverhead approximates what a Go map spends per entry beyond the
// key's and value's own bytes (slot, control byte, load factor).
const entryOverhead = 48

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
	return keys, int64(keys) * (int64(sampledBytes)/int64(sampled) + entryOverhead)
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
